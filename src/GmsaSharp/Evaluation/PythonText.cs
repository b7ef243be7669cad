namespace GmsaSharp.Evaluation;

/// <summary>
/// Python's whitespace rules, which the reference metric scripts (sacrebleu, rouge-score, SQuAD) rely on
/// through <c>str.split()</c> and <c>str.rstrip()</c>.
/// </summary>
internal static class PythonText
{
    /// <summary>
    /// Python's <c>str.isspace</c>: .NET's whitespace plus the information separators U+001C..U+001F,
    /// which Python counts as whitespace and .NET does not.
    /// </summary>
    public static bool IsWhiteSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1C' and <= '\x1F';

    /// <summary>Python's <c>str.split()</c> with no arguments: runs of whitespace separate, no empty pieces.</summary>
    public static List<string> Split(string text)
    {
        var pieces = new List<string>();
        int start = -1;
        for (int i = 0; i < text.Length; i++)
        {
            if (IsWhiteSpace(text[i]))
            {
                if (start >= 0)
                {
                    pieces.Add(text[start..i]);
                    start = -1;
                }
            }
            else if (start < 0)
            {
                start = i;
            }
        }
        if (start >= 0)
        {
            pieces.Add(text[start..]);
        }
        return pieces;
    }

    /// <summary>Python's <c>str.rstrip()</c> with no arguments.</summary>
    public static string TrimEnd(string text)
    {
        int end = text.Length;
        while (end > 0 && IsWhiteSpace(text[end - 1]))
        {
            end--;
        }
        return text[..end];
    }
}
