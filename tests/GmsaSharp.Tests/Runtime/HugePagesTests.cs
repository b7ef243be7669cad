using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GmsaSharp.Runtime;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Runtime;

/// <summary>2 MB pages for weights and KV caches: a change of mapping that never changes a value.</summary>
public class HugePagesTests
{
    [Theory]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.BFloat16, true)]
    [InlineData(ScalarType.Float32, false)]
    public void AdvisingKeepsEveryValue(ScalarType dtype, bool collapse)
    {
        using Tensor tensor = randn([3, 1024, 1024], generator: new Generator(7)).to(dtype);
        using Tensor before = tensor.clone();

        bool advised = HugePages.Advise(tensor, collapse);

        Assert.Equal(OperatingSystem.IsLinux(), advised);
        Assert.True(tensor.equal(before).all().item<bool>());
    }

    [Fact]
    public void SmallAndNonContiguousTensorsAreLeftAlone()
    {
        using Tensor small = ones(128, 1024); // 512 KB
        using Tensor wide = ones(1024, 1024);
        using Tensor transposed = wide.t();

        Assert.False(HugePages.Advise(small, collapse: true));
        Assert.False(HugePages.Advise(transposed, collapse: true));
        Assert.True(transposed.equal(wide.t()).all().item<bool>());
    }

    [Fact]
    public void CollapsedWeightsLieOnHugePagesWhereTheKernelOffersThem()
    {
        // MADV_COLLAPSE came with Linux 6.1; where transparent huge pages are off, no advice makes any.
        const string enabled = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!OperatingSystem.IsLinux() || Environment.OSVersion.Version < new Version(6, 1) || !File.Exists(enabled)
            || File.ReadAllText(enabled).Contains("[never]", StringComparison.Ordinal))
        {
            return;
        }
        using Tensor weight = ones(16, 1024, 1024); // 64 MB, every page written (present) before the advice
        (long start, long end) = AddressRange(weight);

        HugePages.Advise(weight, collapse: true);

        // At least half of the 2 MB pages that lie wholly inside the tensor (the rest may be short of free 2 MB pages).
        long whole = ((end & ~((2L << 20) - 1)) - ((start + (2L << 20) - 1) & ~((2L << 20) - 1))) >> 10;
        Assert.True(HugePageKilobytes(start, end) >= whole / 2, $"{HugePageKilobytes(start, end)} kB of {whole} kB on 2 MB pages");
    }

    private static (long Start, long End) AddressRange(Tensor tensor)
    {
        using Tensor first = tensor.view(-1).narrow(0, 0, 1);
        long start = Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref MemoryMarshal.GetReference(first.bytes));
        return (start, start + tensor.NumberOfElements * tensor.ElementSize);
    }

    // AnonHugePages of the mappings that overlap [start, end), from /proc/self/smaps.
    private static long HugePageKilobytes(long start, long end)
    {
        long total = 0;
        bool overlaps = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0 && fields[0].Contains('-') && !fields[0].EndsWith(':'))
            {
                string[] range = fields[0].Split('-');
                long low = long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                long high = long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                overlaps = low < end && high > start;
            }
            else if (overlaps && fields.Length >= 2 && fields[0] == "AnonHugePages:")
            {
                total += long.Parse(fields[1], CultureInfo.InvariantCulture);
            }
        }
        return total;
    }
}
