using GmsaSharp.Compression;
using GmsaSharp.Evaluation;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using GmsaSharp.Training;

namespace GmsaSharp.Tests.BundledModel;

/// <summary>
/// The models shipped in models/bio-small load through the ordinary paths and answer from compressed context.
/// The long-document model is still near chance (no floor can be both well above chance and below its measured
/// accuracy); the short-document pair in short-docs/ is held to an accuracy floor (see MODEL_CARD.md).
/// </summary>
public sealed class BundledModelTests
{
    private static string Folder => RepositoryFolder.Find(Path.Combine("models", "bio-small"), Path.Combine("gmsa", GmsaConfig.FileName));

    [Fact]
    public async Task TheBundledModelCompressesTheSampleDocumentAcrossWindowsAndAnswers()
    {
        using var lm = CausalLM.FromPretrained(Path.Combine(Folder, "base"), new ComputeOptions { Device = "cpu" });
        using var compressor = GmsaCompressor.FromPretrained(Path.Combine(Folder, "gmsa"), lm);
        string document = File.ReadAllText(Path.Combine(Folder, "sample-document.txt"));
        string question = File.ReadAllLines(Path.Combine(Folder, "sample-questions.txt"))[0];

        using CompressedContext context = compressor.Compress(document, rate: 4);
        GenerationResult answer = await compressor.AskAsync(context, question, new GenerationOptions { MaxNewTokens = 16, StopStrings = ["\n"] });

        Assert.Equal(new[] { 4, 8 }, compressor.Config.TrainedRates);
        Assert.True(context.Windows > 1, "the sample document must exercise windowed compression");
        Assert.Equal(CompressedContext.SoftTokenCountFor(context.SourceTokens, compressor.Config.WindowSize, 4), context.SoftTokenCount);
        Assert.False(string.IsNullOrWhiteSpace(answer.Text));
    }

    /// <summary>
    /// 40 held-out questions (test-split people, never seen in training) about 1-2-person documents, answered
    /// from 4x- and 8x-compressed context by the short-document pair. Measured on this file: 85% at 4x and 75% at
    /// 8x (full prompt 90%, truncation to the same budgets 27.5% / 10%; the first shipped pair: 45% at 4x). The
    /// floors are far above chance (an answer is one specific name, city, date or subject among hundreds) and
    /// 30 points below the measured values, so only a real regression fails.
    /// </summary>
    [Theory]
    [InlineData(4, 55)]
    [InlineData(8, 45)]
    public async Task TheShortDocumentModelAnswersHeldOutQuestionsFromCompressedContextWellAboveChance(int rate, double floor)
    {
        string folder = Path.Combine(Folder, "short-docs");
        using var lm = CausalLM.FromPretrained(Path.Combine(folder, "base"), new ComputeOptions { Device = "cpu" });
        using var compressor = GmsaCompressor.FromPretrained(Path.Combine(folder, "gmsa"), lm);
        IReadOnlyList<GmsaSample> samples = GmsaJsonl.Read(Path.Combine(folder, "heldout-qa.jsonl"), requireQa: true);
        var options = new GenerationOptions { MaxNewTokens = 16, StopStrings = ["\n"] };

        var answered = new List<(string Prediction, IReadOnlyList<string> Golds)>();
        foreach (GmsaSample sample in samples)
        {
            using CompressedContext context = compressor.Compress(sample.Input, rate);
            answered.Add(((await compressor.AskAsync(context, sample.Prompt!, options)).Text, sample.Answers));
        }
        QaScores scores = QaScores.Average(answered);

        Assert.Equal(40, samples.Count);
        Assert.True(scores.Accuracy >= floor, $"accuracy {scores.Accuracy:F1}% from {rate}x-compressed context is below the floor of {floor}%");
    }
}
