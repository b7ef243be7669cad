using GmsaSharp.Runtime;
using TorchSharp;

namespace GmsaSharp.Tests.Runtime;

public class ComputeEnvironmentTests
{
    private static readonly CpuFeatures WithBf16 = new(true, "native bf16: amx_bf16");
    private static readonly CpuFeatures WithoutBf16 = new(false, "no native bf16 instructions");

    [Fact]
    public void PicksCpuAndFloat32WithoutCudaOrNativeBf16()
    {
        var environment = ComputeEnvironment.Select(cpu: WithoutBf16, cudaAvailable: false);

        Assert.Equal(DeviceType.CPU, environment.Device.type);
        Assert.Equal(torch.ScalarType.Float32, environment.DType);
        Assert.Equal(Environment.ProcessorCount, environment.Threads);
    }

    [Fact]
    public void PicksBFloat16OnCpuWithNativeBf16()
    {
        var environment = ComputeEnvironment.Select(cpu: WithBf16, cudaAvailable: false);

        Assert.Equal(torch.ScalarType.BFloat16, environment.DType);
        Assert.Contains("amx_bf16", environment.Describe());
    }

    [Fact]
    public void PicksCudaAndBFloat16WhenCudaIsAvailable()
    {
        var environment = ComputeEnvironment.Select(cpu: WithoutBf16, cudaAvailable: true);

        Assert.Equal(DeviceType.CUDA, environment.Device.type);
        Assert.Equal(torch.ScalarType.BFloat16, environment.DType);
    }

    [Fact]
    public void HonoursEveryOverride()
    {
        var options = new ComputeOptions { Device = "cpu", DType = torch.ScalarType.Float16, Threads = 1 };

        var environment = ComputeEnvironment.Select(options, WithBf16, cudaAvailable: true);

        Assert.Equal(DeviceType.CPU, environment.Device.type);
        Assert.Equal(torch.ScalarType.Float16, environment.DType);
        Assert.Equal(1, environment.Threads);
        Assert.Equal("device cpu (requested); dtype float16 (requested); threads 1 (requested)", environment.Describe());
    }

    [Fact]
    public void RequestingCudaWithoutItNamesTheProblem()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            ComputeEnvironment.Select(new ComputeOptions { Device = "cuda:0" }, WithoutBf16, cudaAvailable: false));

        Assert.Contains("'cuda:0'", error.Message);
        Assert.Contains("TorchBackend=cuda", error.Message);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("")]
    public void UnknownDeviceNamesAreRejected(string device)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ComputeEnvironment.Select(new ComputeOptions { Device = device }, WithoutBf16, cudaAvailable: false));

        Assert.Contains($"'{device}'", error.Message);
    }

    [Fact]
    public void NonFloatingDTypeIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ComputeEnvironment.Select(new ComputeOptions { DType = torch.ScalarType.Int64 }, WithoutBf16, cudaAvailable: false));

        Assert.Contains("Int64", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void ThreadCountBelowOneIsRejected(int threads)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            ComputeEnvironment.Select(new ComputeOptions { Threads = threads }, WithoutBf16, cudaAvailable: false));
    }

    [Fact]
    public void ApplySetsTorchThreads()
    {
        int before = torch.get_num_threads();
        try
        {
            ComputeEnvironment.Select(new ComputeOptions { Threads = 1 }, WithoutBf16, cudaAvailable: false).Apply();
            Assert.Equal(1, torch.get_num_threads());
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    [Theory]
    [InlineData("float32", torch.ScalarType.Float32)]
    [InlineData("FP32", torch.ScalarType.Float32)]
    [InlineData("bfloat16", torch.ScalarType.BFloat16)]
    [InlineData("bf16", torch.ScalarType.BFloat16)]
    [InlineData("float16", torch.ScalarType.Float16)]
    public void DTypeNamesParse(string name, torch.ScalarType expected)
    {
        Assert.Equal(expected, ComputeDTypes.Parse(name));
    }

    [Fact]
    public void UnknownDTypeNameIsRejectedWithTheAcceptedList()
    {
        var error = Assert.Throws<ArgumentException>(() => ComputeDTypes.Parse("int8"));

        Assert.Contains("'int8'", error.Message);
        Assert.Contains(ComputeDTypes.AcceptedNames, error.Message);
    }
}
