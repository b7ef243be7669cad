using System.Text;

namespace GmsaSharp.Compression;

/// <summary>
/// Removes a checkpoint's answer prefix from the start of an answer. KEFT targets are "[answer prefix]answer"
/// (" Copenhagen" after "Answer:"), so the model's text starts with the prefix, which is part of the template,
/// not of the answer. Text that does not start with it is left as it is.
/// </summary>
internal static class AnswerPrefix
{
    /// <summary>The answer without <paramref name="prefix"/>.</summary>
    public static string Strip(string answer, string prefix) =>
        prefix.Length > 0 && answer.StartsWith(prefix, StringComparison.Ordinal) ? answer[prefix.Length..] : answer;

    /// <summary>The streamed form: holds pieces back only until it is clear whether the answer starts with the prefix.</summary>
    public static async IAsyncEnumerable<string> Strip(IAsyncEnumerable<string> pieces, string prefix)
    {
        var head = new StringBuilder();
        bool decided = prefix.Length == 0;
        await foreach (string piece in pieces.ConfigureAwait(false))
        {
            if (decided)
            {
                yield return piece;
                continue;
            }
            head.Append(piece);
            if (head.Length < prefix.Length && prefix.StartsWith(head.ToString(), StringComparison.Ordinal))
            {
                continue;
            }
            decided = true;
            if (Strip(head.ToString(), prefix) is { Length: > 0 } text)
            {
                yield return text;
            }
        }
        // The stream ended before the whole prefix: like Strip on the whole text, leave it as it is.
        if (!decided && head.Length > 0)
        {
            yield return head.ToString();
        }
    }
}
