using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Reliability;

/// <summary>
/// Every tensor made per call or per generated token must be disposed when the call ends, not left to the
/// garbage collector (on CUDA that is GPU memory, and a large vocabulary makes each leaked logits view big).
/// TorchSharp counts the tensors created and disposed on each thread; the generation and compression paths
/// are synchronous, so the count on the test's thread sees every tensor they make.
/// </summary>
public sealed class TensorLeakTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-leak-").FullName;
    private readonly CausalLM _lm;

    public TensorLeakTests()
    {
        TinyTextModel.Write(_directory);
        _lm = CausalLM.FromPretrained(_directory, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
    }

    public void Dispose()
    {
        _lm.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static long LiveTensors() => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    [Fact]
    public void GeneratingManyTokensLeavesNoTensorBehind()
    {
        var options = new GenerationOptions { MaxNewTokens = 40, StopAtEos = false, RepetitionPenalty = 1.3 };
        int[] prompt = [5, 6, 7];
        TokenGenerator.Generate(_lm, prompt, options).ToList();
        long before = LiveTensors();
        for (int round = 0; round < 3; round++)
        {
            Assert.Equal(40, TokenGenerator.Generate(_lm, prompt, options).Count());
        }
        Assert.Equal(before, LiveTensors());
    }

    [Fact]
    public void RepeatedCompressAndAnswerCyclesLeaveNoTensorBehind()
    {
        using var compressor = GmsaCompressor.Create(_lm, new GmsaOptions { EncoderLayers = 1, WindowSize = 16, Seed = 3 });
        var options = new GenerationOptions { MaxNewTokens = 12, StopAtEos = false };
        int[] document = Enumerable.Range(0, 40).Select(i => (i * 31 + 5) % 250).ToArray();
        string saved = Path.Combine(_directory, "context.gmsa");
        void Cycle()
        {
            using (CompressedContext context = compressor.CompressTokens(document, rate: 4))
            {
                Assert.Equal(12, compressor.AnswerTokens(context, [9, 10, 11], options).Count());
                Assert.Equal(12, compressor.AnswerTokens(context, [12, 13], options).Count());
                context.Save(saved);
            }
            using CompressedContext loaded = CompressedContext.Load(saved);
            using (CausalLM reloaded = CausalLM.FromPretrained(_directory, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 }))
            {
                Assert.NotNull(reloaded.Tokenizer);
            }
            Assert.Equal(12, compressor.AnswerTokens(loaded, [9, 10, 11], options).Count());
        }
        Cycle();
        long before = LiveTensors();
        for (int round = 0; round < 3; round++)
        {
            Cycle();
        }
        Assert.Equal(before, LiveTensors());
    }
}
