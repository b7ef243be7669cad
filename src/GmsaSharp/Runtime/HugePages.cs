using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Runtime;

/// <summary>
/// Asks Linux to back large CPU tensors with 2 MB pages. A decoding step streams every weight and the whole KV cache
/// once; on 4 KB pages that is a TLB miss, with a page walk, every 4 KB read, and it cost decoding 6% (f32) to 20%
/// (bf16) of its speed on this project's benchmark model. Where transparent huge pages are "madvise" only (a common
/// default), nothing gets 2 MB pages unless asked. The advice changes how memory is mapped, never what it holds.
/// </summary>
internal static unsafe partial class HugePages
{
    private const long PageBytes = 2 << 20;
    private const long MinimumBytes = 1 << 20;
    private const int AdviseHugePage = 14; // MADV_HUGEPAGE: later faults in the range may take 2 MB pages
    private const int AdviseCollapse = 25; // MADV_COLLAPSE (Linux 6.1): make the range's present pages 2 MB pages now

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);

    /// <summary>
    /// Advises the 2 MB pages that <paramref name="tensor"/>'s memory overlaps, so that pages faulted in later are
    /// 2 MB pages; with <paramref name="collapse"/>, also turns the pages already there into 2 MB pages (for weights,
    /// written before they are advised). Returns whether it advised: not anywhere but Linux, on other devices, for
    /// non-contiguous tensors or under 1 MB. The kernel may decline (an older kernel, no free 2 MB pages): the advice
    /// is a hint, and a declined hint changes nothing. The 2 MB pages at either end may hold neighbouring memory
    /// too, which loses nothing by the advice either.
    /// </summary>
    public static bool Advise(Tensor tensor, bool collapse)
    {
        long bytes = tensor.NumberOfElements * tensor.ElementSize;
        if (!OperatingSystem.IsLinux() || tensor.device_type != DeviceType.CPU || !tensor.is_contiguous() || bytes < MinimumBytes)
        {
            return false;
        }
        // The first element's address (a span of the whole tensor would need a length under 2 GB).
        using Tensor first = tensor.view(-1).narrow(0, 0, 1);
        fixed (byte* data = first.bytes)
        {
            long start = (long)data & ~(PageBytes - 1);
            long end = ((long)data + bytes + PageBytes - 1) & ~(PageBytes - 1);
            madvise((nint)start, (nuint)(end - start), AdviseHugePage);
            if (collapse)
            {
                madvise((nint)start, (nuint)(end - start), AdviseCollapse);
            }
        }
        return true;
    }

    /// <summary>Advises and collapses every tensor of <paramref name="weights"/> (see <see cref="Advise"/>).</summary>
    public static void AdviseWeights(IEnumerable<Tensor> weights)
    {
        foreach (Tensor weight in weights)
        {
            Advise(weight, collapse: true);
        }
    }
}
