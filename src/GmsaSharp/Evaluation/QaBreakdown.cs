using System.Globalization;
using GmsaSharp.Data;
using GmsaSharp.Training;

namespace GmsaSharp.Evaluation;

/// <summary>
/// QA results split by the value of one label field of the evaluated lines (<see cref="GmsaSample.Fields"/>), for
/// every method side by side: which kinds of question a method answers and which it misses, not only how many.
/// </summary>
/// <param name="Field">The label field grouped by.</param>
/// <param name="Methods">Each column's method and rate: "full prompt", "gmsa 4x", "truncation 4x".</param>
/// <param name="Groups">One group per value of <paramref name="Field"/>, numeric values in numeric order, others in ordinal order.</param>
public sealed record QaBreakdown(string Field, IReadOnlyList<string> Methods, IReadOnlyList<QaBreakdownGroup> Groups)
{
    /// <summary>Splits the QA <paramref name="rows"/>, each evaluated on <paramref name="samples"/> in order, by <paramref name="field"/>.</summary>
    /// <exception cref="ArgumentException">No QA rows, a row not evaluated on exactly these samples, or a blank field name.</exception>
    /// <exception cref="InvalidDataException">A sample has no such field (the message names its line).</exception>
    public static QaBreakdown Compute(string field, IReadOnlyList<GmsaSample> samples, IReadOnlyList<EvaluationRow> rows)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0 || rows.Any(r => r.Qa is null))
        {
            throw new ArgumentException("A breakdown needs QA rows (reconstruction has no per-question answers to group).", nameof(rows));
        }
        if (rows.FirstOrDefault(r => r.Outputs.Count != samples.Count) is { } mismatched)
        {
            throw new ArgumentException($"The {Label(mismatched)} row has {mismatched.Outputs.Count} outputs for {samples.Count} samples.", nameof(rows));
        }
        string[] values = Labels(field, samples);

        var groups = values.Distinct(StringComparer.Ordinal).Order(ValueOrder(values)).Select(value =>
        {
            int[] members = Enumerable.Range(0, samples.Count).Where(i => values[i] == value).ToArray();
            QaScores[] scores = rows.Select(row => QaScores.Average(members.Select(i => (row.Outputs[i].Output, samples[i].Answers)))).ToArray();
            return new QaBreakdownGroup(value, members.Length, scores);
        }).ToArray();
        return new QaBreakdown(field, rows.Select(Label).ToArray(), groups);
    }

    /// <summary>Each sample's value of the label <paramref name="field"/>, in sample order.</summary>
    /// <exception cref="InvalidDataException">A sample has no such field (the message names its line).</exception>
    public static string[] Labels(string field, IReadOnlyList<GmsaSample> samples) =>
        samples.Select(s => s.Fields.TryGetValue(field, out string? value)
            ? value
            : throw new InvalidDataException($"Line {s.Line} has no field '{field}' (a string, number or boolean) to group by.")).ToArray();

    /// <summary>A Markdown table: one line per value, its question count, and each method's accuracy (Acc, percent).</summary>
    public string Markdown() => MarkdownTable.Render(
        [Field, "samples", .. Methods.Select(m => m + " Acc")],
        Groups.Select(g => (IReadOnlyList<string>)
            [g.Value, g.Samples.ToString(CultureInfo.InvariantCulture), .. g.Scores.Select(s => s.Accuracy.ToString("F2", CultureInfo.InvariantCulture))]));

    private static string Label(EvaluationRow row) => row.Rate is { } rate ? $"{row.Method} {rate}x" : row.Method;

    // Numbers ("2", "10") sort as numbers when every value is one, so 10 does not come before 2.
    private static IComparer<string> ValueOrder(IEnumerable<string> values) =>
        values.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            ? Comparer<string>.Create((a, b) => double.Parse(a, CultureInfo.InvariantCulture).CompareTo(double.Parse(b, CultureInfo.InvariantCulture)))
            : StringComparer.Ordinal;
}

/// <summary>The questions with one value of a <see cref="QaBreakdown"/>'s field.</summary>
/// <param name="Value">The field's value.</param>
/// <param name="Samples">Questions with that value.</param>
/// <param name="Scores">Each method's scores on them, in <see cref="QaBreakdown.Methods"/> order.</param>
public sealed record QaBreakdownGroup(string Value, int Samples, IReadOnlyList<QaScores> Scores);
