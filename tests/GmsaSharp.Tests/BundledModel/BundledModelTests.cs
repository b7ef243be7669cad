using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;

namespace GmsaSharp.Tests.BundledModel;

/// <summary>
/// The model shipped in models/bio-small loads through the ordinary paths and answers from compressed context.
/// Its accuracy is not asserted: it is still near chance from compressed context (see its MODEL_CARD.md), so no floor can be both well above chance and well below the measured value.
/// </summary>
public sealed class BundledModelTests
{
    private static string Folder => new[] { AppContext.BaseDirectory, Environment.CurrentDirectory }
        .SelectMany(Ancestors)
        .Select(directory => Path.Combine(directory, "models", "bio-small"))
        .FirstOrDefault(candidate => File.Exists(Path.Combine(candidate, "gmsa", GmsaConfig.FileName)))
        ?? throw new DirectoryNotFoundException("models/bio-small with its GMSA checkpoint was not found above the test directory.");

    private static IEnumerable<string> Ancestors(string directory)
    {
        for (DirectoryInfo? current = new(directory); current is not null; current = current.Parent)
        {
            yield return current.FullName;
        }
    }

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
}
