using System.Text.RegularExpressions;

namespace GmsaSharp.Evaluation;

/// <summary>
/// The "13a" tokenizer: sacrebleu's default for BLEU, equivalent to the tokenization of WMT's mteval-v13a.pl.
/// </summary>
/// <remarks>
/// The rules, applied in order:
/// <list type="number">
/// <item>remove <c>&lt;skipped&gt;</c>, join words hyphenated across a line break (<c>-\n</c>), turn newlines into spaces;</item>
/// <item>unescape <c>&amp;quot;</c>, <c>&amp;amp;</c>, <c>&amp;lt;</c>, <c>&amp;gt;</c> (in that order);</item>
/// <item>put spaces around every ASCII symbol except <c>'</c>, <c>-</c>, <c>.</c> and <c>,</c>;</item>
/// <item>split off <c>.</c> and <c>,</c> unless they sit between digits (<c>3.14</c> and <c>1,000</c> stay whole);</item>
/// <item>split off <c>-</c> after a digit (<c>5-4</c> becomes <c>5 - 4</c>; <c>e-mail</c> stays whole);</item>
/// <item>collapse whitespace to single spaces and trim.</item>
/// </list>
/// Apostrophes are never split (<c>It's</c> stays one token) and nothing is lowercased.
/// </remarks>
internal static class Tokenizer13a
{
    // The character class is { | } ~, [ \ ] ^ _ `, space ! " # $ % &, ( ) * +, : ; < = > ? @ and /:
    // every printable ASCII symbol but ' - . , which the later rules treat by context.
    private static readonly Regex Symbols = new(@"([\x7B-\x7E\x5B-\x60\x20-\x26\x28-\x2B\x3A-\x40/])", RegexOptions.CultureInvariant);
    private static readonly Regex PeriodOrCommaAfterNonDigit = new(@"([^0-9])([.,])", RegexOptions.CultureInvariant);
    private static readonly Regex PeriodOrCommaBeforeNonDigit = new(@"([.,])([^0-9])", RegexOptions.CultureInvariant);
    private static readonly Regex DashAfterDigit = new(@"([0-9])(-)", RegexOptions.CultureInvariant);

    /// <summary>Tokenizes one segment and returns its tokens joined by single spaces.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="line"/> is null.</exception>
    public static string Tokenize(string line)
    {
        ArgumentNullException.ThrowIfNull(line);

        line = line.Replace("<skipped>", "", StringComparison.Ordinal)
            .Replace("-\n", "", StringComparison.Ordinal)
            .Replace("\n", " ", StringComparison.Ordinal)
            .Replace("&quot;", "\"", StringComparison.Ordinal)
            .Replace("&amp;", "&", StringComparison.Ordinal)
            .Replace("&lt;", "<", StringComparison.Ordinal)
            .Replace("&gt;", ">", StringComparison.Ordinal);

        // The surrounding spaces let the period/comma rules see a non-digit at both ends of the segment.
        line = $" {line} ";
        line = Symbols.Replace(line, " $1 ");
        line = PeriodOrCommaAfterNonDigit.Replace(line, "$1 $2 ");
        line = PeriodOrCommaBeforeNonDigit.Replace(line, " $1 $2");
        line = DashAfterDigit.Replace(line, "$1 $2 ");
        return string.Join(' ', PythonText.Split(line));
    }
}
