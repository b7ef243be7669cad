using GmsaSharp.Tests.Support;

namespace GmsaSharp.Tests.Reliability;

/// <summary>`gmsa train --resume` on damaged or mismatched checkpoints: every refusal names the file or the changed
/// options, exit code 2; a metrics line cut short by a kill is tolerated.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class TrainingResumeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-resume-").FullName;
    private readonly string[] _run;

    public TrainingResumeTests()
    {
        TinyTextModel.Write(P("model"));
        File.WriteAllText(P("corpus.txt"), string.Concat(Enumerable.Repeat("the cat sat on the mat. the dog ate the cat food.\n", 20)));
        _run = ["train", "pretrain", "--model", P("model"), "--data", P("corpus.txt"), "--seq-len", "16", "--out", P("out"), "--dtype", "float32", "--log-every", "1"];
        var first = CliRunner.Run([.. _run, "--steps", "2"]);
        Assert.True(first.Code == 0, first.Error + first.Out);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string P(string name) => Path.Combine(_directory, name);

    private (int Code, string Out, string Error) Resume(params string[] extra) => CliRunner.Run([.. _run, "--steps", "3", "--resume", .. extra]);

    [Fact]
    public void APartialLastMetricsLineIsDroppedAndTheRunContinues()
    {
        File.AppendAllText(P("out/metrics.jsonl"), "{\"step\": 3, \"lo");

        var resumed = Resume();

        Assert.True(resumed.Code == 0, resumed.Error + resumed.Out);
        Assert.Equal([1, 2, 3], File.ReadAllLines(P("out/metrics.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()));
    }

    [Fact]
    public void ABadMetricsLineBeforeTheLastIsNamedWithItsLine()
    {
        string[] lines = File.ReadAllLines(P("out/metrics.jsonl"));
        File.WriteAllLines(P("out/metrics.jsonl"), ["garbage", .. lines]);

        var resumed = Resume();

        Assert.Equal(2, resumed.Code);
        Assert.Contains("metrics.jsonl' line 1", resumed.Error);
    }

    [Theory]
    [InlineData("trainer_state.json", "{\"stage\": \"pretrain\", \"ste", "Checkpoint state")]
    [InlineData("trainer_state.json", "[1, 2]", "Checkpoint state")]
    [InlineData("trainer_state.json", "{\"stage\": \"pretrain\"}", "'step' is missing")]
    public void ADamagedStateFileIsNamed(string file, string contents, string message)
    {
        File.WriteAllText(P($"out/checkpoint/{file}"), contents);

        var resumed = Resume();

        Assert.Equal(2, resumed.Code);
        Assert.Contains(message, resumed.Error);
        Assert.Contains(file, resumed.Error);
    }

    [Theory]
    [InlineData("optimizer.bin")]
    [InlineData("trainable.safetensors")]
    public void ATruncatedOrFlippedCheckpointFileIsNamed(string file)
    {
        string path = P($"out/checkpoint/{file}");
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var truncated = Resume();
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var flipped = Resume();

        Assert.All(new[] { truncated, flipped }, run =>
        {
            Assert.Equal(2, run.Code);
            Assert.Contains(path, run.Error);
            Assert.Contains("damaged", run.Error);
        });
    }

    [Fact]
    public void ChangedSettingsAreRefusedByName()
    {
        var resumed = CliRunner.Run([.. _run.Select(a => a == "16" ? "24" : a), "--steps", "3", "--resume", "--lr", "0.001"]);

        Assert.Equal(2, resumed.Code);
        Assert.Contains("--seq-len 24 (the checkpoint has 16)", resumed.Error);
        Assert.Contains("--lr 0.001 (the checkpoint has 0.0001)", resumed.Error);
    }
}
