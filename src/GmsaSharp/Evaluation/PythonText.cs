using System.Globalization;
using System.Text;

namespace GmsaSharp.Evaluation;

/// <summary>
/// Python's text rules that the reference metric scripts (sacrebleu, rouge-score, SQuAD) rely on: whitespace
/// (<c>str.split()</c>, <c>str.rstrip()</c>), <c>str.lower()</c> and what <c>re</c>'s <c>\b</c> counts as a word.
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

    /// <summary>
    /// Python's <c>str.lower()</c>: .NET's invariant lowercase plus the two full mappings Python applies and .NET does
    /// not: 'İ' (U+0130) becomes "i̇" (i and a combining dot above), and a capital sigma ending a word becomes the
    /// final 'ς' (Unicode's Final_Sigma context: a cased letter before it and none after, skipping case-ignorable
    /// characters), so "ΟΔΟΣ" gives "οδος" as in Python, not "οδοσ".
    /// </summary>
    public static string Lower(string text)
    {
        Rune[] runes = text.EnumerateRunes().ToArray();
        var lower = new StringBuilder(text.Length);
        for (int i = 0; i < runes.Length; i++)
        {
            Rune rune = runes[i];
            if (rune.Value == 0x0130)
            {
                lower.Append("i\u0307");
            }
            else if (rune.Value == 0x03A3)
            {
                lower.Append(IsFinalSigma(runes, i) ? 'ς' : 'σ');
            }
            else
            {
                lower.Append(Rune.ToLowerInvariant(rune).ToString());
            }
        }
        return lower.ToString();
    }

    /// <summary>
    /// Python's <c>re.sub(r"\b(w1|w2|...)\b", replacement, text)</c> for whole words: Python's <c>\w</c> is a letter,
    /// a number of any kind (so '²' is one) or '_', and not a combining mark, ZWJ or ZWNJ, which .NET's <c>\b</c>
    /// counts as word characters. So "a\u0301" loses its 'a' in Python, "x²a" keeps it.
    /// </summary>
    public static string ReplaceWords(string text, IReadOnlyCollection<string> words, string replacement)
    {
        var result = new StringBuilder(text.Length);
        int start = 0;
        while (start < text.Length)
        {
            int end = start;
            bool word = IsWordCharacter(text, start, out _);
            while (end < text.Length && IsWordCharacter(text, end, out int length) == word)
            {
                end += length;
            }
            string run = text[start..end];
            result.Append(word && words.Contains(run) ? replacement : run);
            start = end;
        }
        return result.ToString();
    }

    // Python's str.isalnum() or '_', on the code point at index (a lone surrogate is not a word character).
    private static bool IsWordCharacter(string text, int index, out int length)
    {
        Rune.DecodeFromUtf16(text.AsSpan(index), out Rune rune, out length);
        return rune.Value == '_' || Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }

    private static bool IsFinalSigma(Rune[] runes, int index)
    {
        int before = index - 1;
        while (before >= 0 && IsCaseIgnorable(runes[before]))
        {
            before--;
        }
        if (before < 0 || !IsCased(runes[before]))
        {
            return false;
        }
        int after = index + 1;
        while (after < runes.Length && IsCaseIgnorable(runes[after]))
        {
            after++;
        }
        return after == runes.Length || !IsCased(runes[after]);
    }

    private static bool IsCased(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    // Unicode's Case_Ignorable: marks, format characters, modifiers, and the word-internal punctuation of Word_Break
    // MidLetter, MidNumLet and Single_Quote (apostrophes, full stops, colons, middle dots).
    private static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || rune.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x05F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027
            or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
