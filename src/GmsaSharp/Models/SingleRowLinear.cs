using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// <c>linear(x, W, b) = x Wᵀ + b</c>, computed by a matrix-vector loop of our own when <c>x</c> is a single row on
/// the CPU, the shape of every projection in a decoding step. Such a call reads each weight once and does one
/// multiply-add with it, so it can only be as fast as the weights stream from memory; libtorch's general matmul
/// read them at about half that speed for one row, this loop at about 90% (benchmarks/RESULTS.md, issue 22).
/// Everything else (several rows, gradients, other dtypes or devices, CPUs without 512-bit vectors, empty or
/// over-2-GB weights) goes to <see cref="nn.functional.linear"/> unchanged.
/// </summary>
/// <remarks>
/// The loop accumulates in float32, as libtorch does for bfloat16, and rounds each output to the weights' dtype once
/// (round to nearest even), so it differs from libtorch only in the order of the additions: float32 rounding.
/// Rows are split over <see cref="get_num_threads"/> threads, the same budget libtorch's own kernels use. The loops
/// are compiled optimised from their first call (<see cref="MethodImplOptions.AggressiveOptimization"/>): .NET's
/// quick first compilation, with no inlining of the vector helpers, left a process's first dozen answers several
/// times slower until it optimised them.
/// </remarks>
internal static unsafe class SingleRowLinear
{
    // How far ahead of the loop the weights are requested: the middle of the range (4-16 KB) that read fastest here.
    private const int PrefetchBytes = 8192;

    // Below this many weights a call is too short to split over threads with profit.
    private const long WeightsPerThreadMinimum = 1 << 18;

    // x in float32, per calling thread, so a bfloat16 input is widened once per call, not once per row.
    [ThreadStatic] private static float[]? _input;

    /// <summary><c>input</c> [..., in] times <c>weight</c> [out, in] transposed, plus <c>bias</c> [out] if given.</summary>
    public static Tensor Forward(Tensor input, Tensor weight, Tensor? bias) => Forward(input, weight, bias, get_num_threads());

    /// <summary>As <see cref="Forward(Tensor, Tensor, Tensor?)"/>, splitting the rows over at most <paramref name="threads"/> threads.</summary>
    internal static Tensor Forward(Tensor input, Tensor weight, Tensor? bias, int threads)
    {
        if (!Applies(input, weight, bias))
        {
            return nn.functional.linear(input, weight, bias);
        }
        // Sizes one dimension at a time: Tensor.shape asks libtorch for a freshly pinned array on every call, which
        // cost more than the rest of this method's bookkeeping in a decoding step (perf: ~6% of the step).
        long outFeatures = weight.size(0);
        var shape = new long[input.dim()];
        for (int d = 0; d < shape.Length - 1; d++)
        {
            shape[d] = input.size(d);
        }
        shape[^1] = outFeatures;
        Tensor output = empty(shape, weight.dtype, input.device);
        bool bfloat16 = weight.dtype == ScalarType.BFloat16;
        int inFeatures = (int)weight.size(1);
        float[] x = Input(inFeatures);
        Span<byte> biasSpan = bias is null ? Span<byte>.Empty : bias.bytes;
        fixed (byte* inputBytes = input.bytes, weightBytes = weight.bytes, outputBytes = output.bytes, biasBytes = biasSpan)
        fixed (float* xf = x)
        {
            WidenInput(inputBytes, xf, inFeatures, bfloat16);
            var call = new Call((nint)weightBytes, (nint)xf, (nint)outputBytes, (nint)biasBytes, inFeatures, outFeatures, bfloat16);
            Run(call, weight.NumberOfElements, threads);
        }
        return output;
    }

    /// <summary>Whether <see cref="Forward(Tensor, Tensor, Tensor?)"/> takes its own loop for these operands.</summary>
    internal static bool Applies(Tensor input, Tensor weight, Tensor? bias)
    {
        if (!Vector512.IsHardwareAccelerated || weight.dim() != 2 || input.dim() == 0)
        {
            return false;
        }
        long outFeatures = weight.size(0), inFeatures = weight.size(1);
        if (outFeatures == 0 || inFeatures == 0 || input.size(-1) != inFeatures || input.NumberOfElements != inFeatures
            || (bias is not null && (bias.dim() != 1 || bias.size(0) != outFeatures)))
        {
            return false;
        }
        return OwnLoopOperands.Readable(input, weight, bias) && weight.NumberOfElements * weight.ElementSize <= int.MaxValue;
    }

    private static float[] Input(int length)
    {
        if (_input is null || _input.Length < length)
        {
            _input = new float[length];
        }
        return _input;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WidenInput(byte* input, float* x, int length, bool bfloat16)
    {
        if (!bfloat16)
        {
            new ReadOnlySpan<float>(input, length).CopyTo(new Span<float>(x, length));
            return;
        }
        ushort* bits = (ushort*)input;
        for (int i = 0; i < length; i++)
        {
            x[i] = BFloat16Bits.ToSingle(bits[i]);
        }
    }

    private readonly record struct Call(nint Weight, nint X, nint Output, nint Bias, int InFeatures, long OutFeatures, bool BFloat16);

    private static void Run(Call call, long weights, int threadBudget)
    {
        int threads = (int)Math.Clamp(Math.Min(threadBudget, weights / WeightsPerThreadMinimum), 1, call.OutFeatures);
        if (threads == 1)
        {
            Rows(call, 0, call.OutFeatures);
            return;
        }
        long rowsPerThread = (call.OutFeatures + threads - 1) / threads;
        DecodeWorkers.Run(threads, part =>
            Rows(call, part * rowsPerThread, Math.Min(call.OutFeatures, (part + 1) * rowsPerThread)));
    }

    // Output rows [first, end) of the call, one after another, so that the weights are read as one forward stream.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows(Call call, long first, long end)
    {
        for (long row = first; row < end; row++)
        {
            float sum = call.BFloat16
                ? Row((ushort*)call.Weight + row * call.InFeatures, (float*)call.X, call.InFeatures)
                : Row((float*)call.Weight + row * call.InFeatures, (float*)call.X, call.InFeatures);
            Store(call, row, sum);
        }
    }

    // w · x for one weight row. Four independent sums hide the multiply-add latency; the prefetch asks for the weights
    // PrefetchBytes ahead, so the next rows are on their way while this one is summed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Row<T>(T* w, float* x, int n) where T : unmanaged
    {
        int step = WidenedVectors.Step<T>();
        var s0 = Vector512<float>.Zero;
        var s1 = Vector512<float>.Zero;
        var s2 = Vector512<float>.Zero;
        var s3 = Vector512<float>.Zero;
        int j = 0;
        for (; j + 4 * step <= n; j += 4 * step)
        {
            WidenedVectors.Prefetch((byte*)(w + j) + PrefetchBytes, 256);
            s0 = WidenedVectors.MultiplyAdd(s0, w + j, x + j);
            s1 = WidenedVectors.MultiplyAdd(s1, w + j + step, x + j + step);
            s2 = WidenedVectors.MultiplyAdd(s2, w + j + 2 * step, x + j + 2 * step);
            s3 = WidenedVectors.MultiplyAdd(s3, w + j + 3 * step, x + j + 3 * step);
        }
        for (; j + step <= n; j += step)
        {
            s0 = WidenedVectors.MultiplyAdd(s0, w + j, x + j);
        }
        float sum = Vector512.Sum((s0 + s1) + (s2 + s3));
        for (; j < n; j++)
        {
            sum += WidenedVectors.Element(w, j) * x[j];
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Store(Call call, long row, float sum)
    {
        if (call.Bias != 0)
        {
            sum += WidenedVectors.Element(call.Bias, row, call.BFloat16);
        }
        if (call.BFloat16)
        {
            ((ushort*)call.Output)[row] = BFloat16Bits.FromSingle(sum);
        }
        else
        {
            ((float*)call.Output)[row] = sum;
        }
    }
}
