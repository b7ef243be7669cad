using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Reliability;

/// <summary>
/// An application allocates on other threads while the library runs: garbage collections and finalizers then run
/// during the library's native calls. TorchSharp 0.107 passes a Scalar's native handle to libtorch without keeping
/// the Scalar alive, so a Scalar that nothing references (an implicit conversion: `x + y` passes alpha = 1,
/// `x * 0.5`) can be finalized and freed while libtorch reads it.
/// </summary>
public sealed class ConcurrentCollectionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-gc-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task CompressionAndAnswersStayExactWhileAnotherThreadForcesCollections()
    {
        TinyTextModel.Write(_directory, expressive: true);
        using var lm = CausalLM.FromPretrained(_directory, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
        using var compressor = GmsaCompressor.Create(lm, TinyGmsaOptions.Small);
        compressor.AddKeftAdapters(new LoraSettings(4, 8, 0, LoraSettings.QueryKeyValue), seed: 4);
        using (no_grad())
        {
            var generator = new Generator(5);
            foreach ((string name, Parameter parameter) in compressor.named_parameters().Where(p => p.name.EndsWith("lora_B", StringComparison.Ordinal)))
            {
                parameter.copy_(randn(parameter.shape, generator: generator) * 0.1);
            }
        }
        compressor.eval();
        int[] document = Enumerable.Range(0, 60).Select(i => (i * 13 + 7) % 250).ToArray();
        var options = new GenerationOptions { MaxNewTokens = 6 };
        int[] expected;
        using (CompressedContext context = compressor.CompressTokens(document, rate: 4))
        {
            expected = compressor.AnswerTokens(context, [9, 10, 11], options).ToArray();
        }

        using var stop = new CancellationTokenSource();
        Task churn = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(0);
                GC.WaitForPendingFinalizers();
            }
        }, TaskCreationOptions.LongRunning);
        try
        {
            for (int i = 0; i < 150; i++)
            {
                using CompressedContext context = compressor.CompressTokens(document, rate: 4);
                Assert.Equal(expected, compressor.AnswerTokens(context, [9, 10, 11], options).ToArray());
            }
        }
        finally
        {
            stop.Cancel();
            await churn;
        }
    }
}
