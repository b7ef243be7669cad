using System.Runtime.InteropServices;

namespace GmsaSharp.Runtime;

/// <summary>What the host processor can do that changes how we compute.</summary>
/// <param name="NativeBFloat16">The CPU has bf16 matrix or dot-product instructions (x86 AMX-BF16 or
/// AVX512-BF16, Arm BF16), so bf16 matmul is faster than fp32 rather than emulated and slower.</param>
/// <param name="Description">The flags that decided it, for reports.</param>
public sealed record CpuFeatures(bool NativeBFloat16, string Description)
{
    private static readonly Lazy<CpuFeatures> Host = new(DetectHost);

    /// <summary>The features of the machine this process runs on (read once).</summary>
    public static CpuFeatures Detect() => Host.Value;

    /// <summary>Reads the features from the text of Linux's /proc/cpuinfo.</summary>
    public static CpuFeatures FromCpuInfo(string cpuInfo)
    {
        var flags = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in cpuInfo.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0)
            {
                continue;
            }
            string key = line[..colon].Trim();
            // x86 lists "flags", Arm lists "Features".
            if (key is "flags" or "Features")
            {
                flags.UnionWith(line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        string[] bf16Flags = ["amx_bf16", "avx512_bf16", "bf16"];
        string[] present = bf16Flags.Where(flags.Contains).ToArray();
        return present.Length > 0
            ? new CpuFeatures(true, "native bf16: " + string.Join(", ", present))
            : new CpuFeatures(false, "no native bf16 instructions");
    }

    private static CpuFeatures DetectHost()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && File.Exists("/proc/cpuinfo"))
        {
            return FromCpuInfo(File.ReadAllText("/proc/cpuinfo"));
        }
        // Without a reliable feature source, assume the common case: bf16 would be emulated.
        return new CpuFeatures(false, "bf16 support unknown on " + RuntimeInformation.OSDescription);
    }
}
