using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GmsaSharp.Benchmarks;

/// <summary>
/// A STREAM-like read benchmark: each of <c>threads</c> threads sums its own contiguous slice of a 1 GiB float
/// array (far larger than any cache) with 256-bit vectors; the best of several passes gives bytes read per
/// second. A decode step must read every weight once, so weight bytes / this bandwidth bounds tokens per second.
/// </summary>
public static class MemoryBandwidth
{
    private const long Bytes = 1L << 30;

    /// <summary>The best read bandwidth, in bytes per second, of <paramref name="passes"/> passes on <paramref name="threads"/> threads.</summary>
    public static double Measure(int threads, int passes = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var data = new float[Bytes / sizeof(float)];
        Array.Fill(data, 1f); // touch every page so the first pass measures reads, not page faults
        long slice = data.Length / threads / Vector256<float>.Count * Vector256<float>.Count;
        double best = 0;
        float total = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            var sums = new float[threads];
            var watch = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
                t => sums[t] = Sum(data.AsSpan((int)(t * slice), (int)slice)));
            watch.Stop();
            total += sums.Sum();
            best = Math.Max(best, slice * threads * sizeof(float) / watch.Elapsed.TotalSeconds);
        }
        // Using the sums keeps the JIT from dropping the reads; every element is 1, so any pass makes them positive.
        if (total <= 0)
        {
            throw new InvalidOperationException("The bandwidth benchmark summed nothing.");
        }
        return best;
    }

    // Four independent accumulators, so the adds do not wait on each other and memory is the limit. Fully
    // optimised from the first call: the loop runs once per pass, too few calls for tiered compilation to help.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Sum(ReadOnlySpan<float> values)
    {
        Vector256<float> a = Vector256<float>.Zero, b = a, c = a, d = a;
        ref float start = ref MemoryMarshal.GetReference(values);
        int width = Vector256<float>.Count;
        for (int i = 0; i + 4 * width <= values.Length; i += 4 * width)
        {
            a += Vector256.LoadUnsafe(ref start, (nuint)i);
            b += Vector256.LoadUnsafe(ref start, (nuint)(i + width));
            c += Vector256.LoadUnsafe(ref start, (nuint)(i + 2 * width));
            d += Vector256.LoadUnsafe(ref start, (nuint)(i + 3 * width));
        }
        return Vector256.Sum(a + b + c + d);
    }
}
