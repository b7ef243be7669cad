using GmsaSharp.Checkpoints;
using GmsaSharp.Compression;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Checkpoints;

public sealed class AsyncLoadingTests : IDisposable
{
    private static readonly ComputeOptions Fp32 = new() { Device = "cpu", DType = ScalarType.Float32 };
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-load-").FullName;
    private readonly string _gmsa;

    public AsyncLoadingTests()
    {
        TinyTextModel.Write(_directory);
        _gmsa = Path.Combine(_directory, "gmsa");
        using var lm = CausalLM.FromPretrained(_directory, Fp32);
        using var compressor = GmsaCompressor.Create(lm, new GmsaOptions { EncoderLayers = 1, EncoderLora = new LoraSettings(4, 8, 0, LoraSettings.AllProjections), WindowSize = 16 });
        compressor.SavePretrained(_gmsa);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task AsyncLoadsEqualSyncLoadsAndReportEveryTensor()
    {
        var modelReports = new List<LoadProgress>();
        var gmsaReports = new List<LoadProgress>();
        using var expected = CausalLM.FromPretrained(_directory, Fp32);

        using CausalLM lm = await CausalLM.FromPretrainedAsync(_directory, Fp32, new SynchronousProgress(modelReports.Add));
        using GmsaCompressor compressor = await GmsaCompressor.FromPretrainedAsync(_gmsa, lm, new SynchronousProgress(gmsaReports.Add));

        Assert.Equal(expected.Fingerprint, lm.Fingerprint);
        int modelTensors = lm.named_parameters().Count();
        Assert.Equal(Enumerable.Range(1, modelTensors).Select(i => new LoadProgress(i, modelTensors)), modelReports);
        int gmsaTensors = compressor.named_parameters().Count();
        Assert.Equal(new LoadProgress(gmsaTensors, gmsaTensors), gmsaReports[^1]);
    }

    [Fact]
    public async Task AsyncLoadsHonourCancellationAndReportBadFoldersByName()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CausalLM.FromPretrainedAsync(_directory, Fp32, cancellationToken: cancelled.Token));
        var missing = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => CausalLM.FromPretrainedAsync(Path.Combine(_directory, "nowhere")));
        Assert.Contains("nowhere", missing.Message);
        using var lm = CausalLM.FromPretrained(_directory, Fp32);
        var noGmsa = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => GmsaCompressor.FromPretrainedAsync(Path.Combine(_directory, "no-gmsa"), lm));
        Assert.Contains("no-gmsa", noGmsa.Message);
    }

    private sealed class SynchronousProgress(Action<LoadProgress> report) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value) => report(value);
    }
}
