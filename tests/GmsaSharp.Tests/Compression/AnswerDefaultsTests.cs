using System.Text.Json.Nodes;
using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Compression;

/// <summary>The checkpoint says where its answers end (gmsa_config.json answer_stop_strings and answer_max_new_tokens).</summary>
public sealed class AnswerDefaultsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-answer-").FullName;
    private readonly CausalLM _lm;

    public AnswerDefaultsTests()
    {
        TinyTextModel.Write(_directory);
        _lm = CausalLM.FromPretrained(_directory, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
    }

    public void Dispose()
    {
        _lm.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private string SaveConfig(GmsaOptions options, Action<JsonObject>? edit = null)
    {
        string folder = Path.Combine(_directory, $"gmsa-{Guid.NewGuid():N}");
        using (var compressor = GmsaCompressor.Create(_lm, options))
        {
            compressor.SavePretrained(folder);
        }
        if (edit is not null)
        {
            string path = Path.Combine(folder, GmsaConfig.FileName);
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            edit(json);
            File.WriteAllText(path, json.ToJsonString());
        }
        return folder;
    }

    [Fact]
    public void ACheckpointRecordsItsAnswerStopStringsAndLength()
    {
        string folder = SaveConfig(TinyGmsaOptions.Small with { AnswerStopStrings = [".", "\n"], AnswerMaxNewTokens = 7 });

        using var loaded = GmsaCompressor.FromPretrained(folder, _lm);

        Assert.Equal([".", "\n"], loaded.DefaultAnswerOptions.StopStrings);
        Assert.Equal(7, loaded.DefaultAnswerOptions.MaxNewTokens);
        string json = File.ReadAllText(Path.Combine(folder, GmsaConfig.FileName));
        Assert.Contains("\"answer_stop_strings\"", json);
        Assert.Contains("\"answer_max_new_tokens\": 7", json);
    }

    [Fact]
    public void ACheckpointWithoutTheFieldsStopsAtALineBreakAfterAtMostTheDefaultLength()
    {
        string folder = SaveConfig(TinyGmsaOptions.Small, json =>
        {
            json.Remove("answer_stop_strings");
            json.Remove("answer_max_new_tokens");
        });

        using var loaded = GmsaCompressor.FromPretrained(folder, _lm);

        Assert.Null(loaded.Config.AnswerStopStrings);
        Assert.Equal(["\n"], loaded.DefaultAnswerOptions.StopStrings);
        Assert.Equal(GmsaConfig.DefaultAnswerMaxNewTokens, loaded.DefaultAnswerOptions.MaxNewTokens);
        Assert.Equal(0, loaded.DefaultAnswerOptions.Temperature);
    }

    [Theory]
    [InlineData("answer_max_new_tokens", "0", "answer_max_new_tokens must be at least 1")]
    [InlineData("answer_stop_strings", "[\"\"]", "answer_stop_strings must not contain an empty string")]
    public void BadAnswerFieldsAreRefusedByName(string field, string value, string message)
    {
        string folder = SaveConfig(TinyGmsaOptions.Small, json => json[field] = JsonNode.Parse(value));

        var error = Assert.Throws<InvalidDataException>(() => GmsaCompressor.FromPretrained(folder, _lm));

        Assert.Contains(GmsaConfig.FileName, error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task AnswersWithoutOptionsUseTheCheckpointsDefaults()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small with { AnswerMaxNewTokens = 3, AnswerStopStrings = ["zzz"] });
        using CompressedContext context = compressor.Compress("the cat sat on the mat.", 4);

        GenerationResult byDefault = await compressor.AnswerAsync(context, "the dog");
        GenerationResult explicitly = await compressor.AnswerAsync(context, "the dog", compressor.Config.AnswerOptions());

        Assert.Equal(explicitly.TokenIds, byDefault.TokenIds);
        Assert.True(byDefault.TokenIds.Count <= 3);
        Assert.Equal(explicitly.Text, byDefault.Text);
        Assert.Equal(explicitly.Text, string.Concat(await compressor.StreamAnswerAsync(context, "the dog").ToListAsync()));
    }
}
