using GmsaSharp.Runtime;

namespace GmsaSharp.Tests.Runtime;

public class CpuFeaturesTests
{
    [Fact]
    public void AmxOrAvx512Bf16MeansNativeBf16()
    {
        const string cpuInfo = "processor\t: 0\nflags\t\t: fpu sse2 avx512f amx_bf16 amx_tile\n\nprocessor\t: 1\nflags\t\t: fpu sse2 avx512_bf16\n";

        CpuFeatures features = CpuFeatures.FromCpuInfo(cpuInfo);

        Assert.True(features.NativeBFloat16);
        Assert.Contains("amx_bf16", features.Description);
        Assert.Contains("avx512_bf16", features.Description);
    }

    [Fact]
    public void ArmBf16FeatureMeansNativeBf16()
    {
        Assert.True(CpuFeatures.FromCpuInfo("Features\t: fp asimd bf16 i8mm\n").NativeBFloat16);
    }

    [Fact]
    public void PlainAvx2MeansNoNativeBf16()
    {
        CpuFeatures features = CpuFeatures.FromCpuInfo("flags\t\t: fpu sse2 avx2 fma avx512f\n");

        Assert.False(features.NativeBFloat16);
    }

    [Fact]
    public void FlagNamesMatchWholeWordsOnly()
    {
        Assert.False(CpuFeatures.FromCpuInfo("flags\t\t: not_bf16_really xbf16\n").NativeBFloat16);
    }
}
