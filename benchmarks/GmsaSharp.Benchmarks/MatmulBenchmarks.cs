using BenchmarkDotNet.Attributes;
using GmsaSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Benchmarks;

/// <summary>
/// The matmul throughput behind the runtime's dtype policy: is bf16 faster than fp32 on this CPU?
/// Compare the two rows of one run; the ratio, not the absolute time, is what carries over.
/// </summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class MatmulBenchmarks
{
    private Tensor _a = null!;
    private Tensor _b = null!;

    [Params(1024)]
    public int Size { get; set; }

    [Params("float32", "bfloat16")]
    public string DType { get; set; } = "float32";

    [GlobalSetup]
    public void Setup()
    {
        ComputeEnvironment.Select(new ComputeOptions { Device = "cpu" }).Apply();
        ScalarType dtype = ComputeDTypes.Parse(DType);
        var generator = new Generator(seed: 1);
        _a = randn(Size, Size, generator: generator).to(dtype);
        _b = randn(Size, Size, generator: generator).to(dtype);
    }

    [Benchmark]
    public void Matmul()
    {
        using var scope = NewDisposeScope();
        _a.matmul(_b);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
