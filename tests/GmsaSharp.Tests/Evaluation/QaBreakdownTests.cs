using GmsaSharp.Data;
using GmsaSharp.Evaluation;

namespace GmsaSharp.Tests.Evaluation;

public class QaBreakdownTests
{
    private static GmsaSample Sample(int line, string answer, string people, string attribute) =>
        new("context", "question?", [answer], line) { Fields = new Dictionary<string, string> { ["biographies"] = people, ["attribute"] = attribute } };

    private static readonly GmsaSample[] Samples =
    [
        Sample(1, "Paris", "2", "city"),
        Sample(2, "Rome", "10", "city"),
        Sample(3, "May 1, 1990", "2", "date"),
        Sample(4, "Oslo", "1", "city"),
    ];

    private static EvaluationRow Row(string method, int? rate, params string[] outputs) =>
        new(method, rate, outputs.Length, QaScores.Average(outputs.Select((o, i) => (o, Samples[i].Answers))), null, 10, 10, 1)
        {
            Outputs = outputs.Select((o, i) => new EvaluationOutput(i, "question?", Samples[i].Answers, o, null)).ToArray(),
        };

    [Fact]
    public void SplitsEveryMethodByTheFieldNumbersInNumericOrder()
    {
        EvaluationRow full = Row("full prompt", null, "Paris", "Rome", "June 1, 1990", "Oslo");
        EvaluationRow gmsa = Row("gmsa", 4, "Paris", "Milan", "May 1, 1990", "Bergen");

        QaBreakdown breakdown = QaBreakdown.Compute("biographies", Samples, [full, gmsa]);

        Assert.Equal(["full prompt", "gmsa 4x"], breakdown.Methods);
        Assert.Equal(["1", "2", "10"], breakdown.Groups.Select(g => g.Value));
        Assert.Equal([1, 2, 1], breakdown.Groups.Select(g => g.Samples));
        Assert.Equal([[100.0, 0.0], [50.0, 100.0], [100.0, 0.0]], breakdown.Groups.Select(g => g.Scores.Select(s => s.Accuracy).ToArray()));
        Assert.Contains("| 2 | 2 | 50.00 | 100.00 |", breakdown.Markdown());
        Assert.StartsWith("| biographies | samples | full prompt Acc | gmsa 4x Acc |", breakdown.Markdown());
    }

    [Fact]
    public void TextValuesAreInOrdinalOrder()
    {
        QaBreakdown breakdown = QaBreakdown.Compute("attribute", Samples, [Row("gmsa", 8, "Paris", "x", "May 1, 1990", "Oslo")]);

        Assert.Equal(["city", "date"], breakdown.Groups.Select(g => g.Value));
        Assert.Equal(200.0 / 3, breakdown.Groups[0].Scores[0].Accuracy, 9);
    }

    [Fact]
    public void ASampleWithoutTheFieldIsNamedByItsLine()
    {
        GmsaSample[] samples = [Samples[0], new("context", "question?", ["Rome"], 7)];

        var error = Assert.Throws<InvalidDataException>(() => QaBreakdown.Compute("biographies", samples, [Row("full prompt", null, "Paris", "Rome")]));

        Assert.Contains("Line 7 has no field 'biographies'", error.Message);
    }

    [Fact]
    public void ReconstructionRowsAndRowsOfAnotherSetAreRejected()
    {
        var reconstruction = new EvaluationRow("gmsa reconstruction", 4, 4, null, new ReconstructionScores(1, 1, 1), 10, 3, 1);

        Assert.Contains("needs QA rows", Assert.Throws<ArgumentException>(() => QaBreakdown.Compute("attribute", Samples, [reconstruction])).Message);
        Assert.Contains("has 2 outputs for 4 samples", Assert.Throws<ArgumentException>(() =>
            QaBreakdown.Compute("attribute", Samples, [Row("full prompt", null, "Paris", "Rome")])).Message);
    }
}
