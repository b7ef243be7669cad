using System.Buffers;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// Attention of one new token over the KV cache, <c>softmax(q Kᵀ / √d) V</c> for every head, computed by a loop of
/// our own that reads each cached key and value once, straight from the cache's storage, for all the query heads
/// that share it (grouped-query attention). After a long prompt the cache is as large as the weights, so this is the
/// other half of a decoding step's reading; it also keeps libtorch's OpenMP workers out of the step, whose spinning
/// between parallel operations competed with <see cref="SingleRowLinear"/>'s threads.
/// Taken only for batch 1, bf16 or f32 on the CPU, no padding mask and no gradient, on CPUs with 512-bit vectors;
/// <see cref="Attention"/> uses scaled_dot_product_attention otherwise.
/// </summary>
/// <remarks>Scores, softmax and the weighted sum are float32; the output is rounded once to the cache's dtype.
/// libtorch's CPU kernel rounds the probabilities to bf16 before the weighted sum, so in bf16 the two differ by
/// bf16 rounding, and in f32 by float32 rounding (<c>SingleQueryAttentionTests</c>). The loops are compiled optimised
/// from their first call, as <see cref="SingleRowLinear"/>'s are.</remarks>
internal static unsafe class SingleQueryAttention
{
    // Below this many cached values (keys and values, all heads) a call is too short to split over threads.
    private const long ValuesPerThreadMinimum = 1 << 17;

    // How far ahead of the loops the cache rows are requested (as for the weights in SingleRowLinear).
    private const int PrefetchBytes = 8192;

    /// <summary>Whether <see cref="Forward"/> takes this call: <paramref name="query"/> [1, heads, 1, head_dim];
    /// <paramref name="keyStorage"/> and <paramref name="valueStorage"/> the cache's [1, kv_heads, capacity, head_dim]
    /// storage of which the first <paramref name="length"/> positions are filled.</summary>
    internal static bool Applies(Tensor query, Tensor keyStorage, Tensor valueStorage, long length)
    {
        if (!Vector512.IsHardwareAccelerated || query.dim() != 4 || keyStorage.dim() != 4 || valueStorage.dim() != 4)
        {
            return false;
        }
        if (query.size(0) != 1 || query.size(2) != 1 || keyStorage.size(0) != 1
            || keyStorage.size(1) != valueStorage.size(1) || keyStorage.size(2) != valueStorage.size(2)
            || keyStorage.size(3) != valueStorage.size(3) || valueStorage.size(0) != 1 || query.size(3) != keyStorage.size(3)
            || query.size(1) % keyStorage.size(1) != 0 || length < 1 || length > keyStorage.size(2))
        {
            return false;
        }
        return OwnLoopOperands.Readable(query, keyStorage, valueStorage)
            && keyStorage.NumberOfElements * keyStorage.ElementSize <= int.MaxValue;
    }

    /// <summary>The attended values [1, heads, 1, head_dim] of <paramref name="query"/> over the first
    /// <paramref name="length"/> cached positions (see <see cref="Applies"/>), on up to <paramref name="threads"/> threads.</summary>
    public static Tensor Forward(Tensor query, Tensor keyStorage, Tensor valueStorage, long length, int threads)
    {
        using Tensor contiguousQuery = query.contiguous();
        int heads = (int)query.size(1), kvHeads = (int)keyStorage.size(1), headDim = (int)query.size(3);
        Tensor output = empty([1, heads, 1, headDim], query.dtype, query.device);
        fixed (byte* q = contiguousQuery.bytes, k = keyStorage.bytes, v = valueStorage.bytes, o = output.bytes)
        {
            var call = new Call((nint)q, (nint)k, (nint)v, (nint)o, heads / kvHeads, headDim, keyStorage.size(2), (int)length,
                query.dtype == ScalarType.BFloat16);
            int parts = (int)Math.Clamp(Math.Min(threads, 2 * length * headDim * kvHeads / ValuesPerThreadMinimum), 1, kvHeads);
            if (parts == 1)
            {
                for (int kvHead = 0; kvHead < kvHeads; kvHead++)
                {
                    KvHead(call, kvHead);
                }
            }
            else
            {
                int headsPerPart = (kvHeads + parts - 1) / parts;
                DecodeWorkers.Run(parts, part =>
                {
                    for (int kvHead = part * headsPerPart; kvHead < Math.Min(kvHeads, (part + 1) * headsPerPart); kvHead++)
                    {
                        KvHead(call, kvHead);
                    }
                });
            }
        }
        return output;
    }

    private readonly record struct Call(nint Query, nint Keys, nint Values, nint Output, int Group, int HeadDim, long Capacity,
        int Length, bool BFloat16);

    // The query heads kvHead * group .. + group - 1 against that KV head's cached rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KvHead(Call call, int kvHead)
    {
        int group = call.Group, d = call.HeadDim, length = call.Length;
        float[] queries = ArrayPool<float>.Shared.Rent(group * d);
        float[] scores = ArrayPool<float>.Shared.Rent(group * length);
        float[] sums = ArrayPool<float>.Shared.Rent(group * d);
        Array.Clear(sums, 0, group * d);
        float scale = 1 / MathF.Sqrt(d);
        for (int g = 0; g < group; g++)
        {
            for (int i = 0; i < d; i++)
            {
                queries[g * d + i] = WidenedVectors.Element(call.Query, (long)(kvHead * group + g) * d + i, call.BFloat16) * scale;
            }
        }
        long rowsStart = kvHead * call.Capacity * d;
        fixed (float* q = queries, s = scores, acc = sums)
        {
            // The element type as a type argument: the JIT compiles each loop once per dtype, with no branch inside.
            if (call.BFloat16)
            {
                Scores((ushort*)call.Keys + rowsStart, q, s, group, d, length);
            }
            else
            {
                Scores((float*)call.Keys + rowsStart, q, s, group, d, length);
            }
            for (int g = 0; g < group; g++)
            {
                Span<float> headScores = new(s + g * length, length);
                TensorPrimitives.Subtract(headScores, TensorPrimitives.Max(headScores), headScores);
                TensorPrimitives.Exp(headScores, headScores);
                TensorPrimitives.Divide(headScores, TensorPrimitives.Sum(headScores), headScores);
            }
            if (call.BFloat16)
            {
                WeightedSum((ushort*)call.Values + rowsStart, s, acc, group, d, length);
            }
            else
            {
                WeightedSum((float*)call.Values + rowsStart, s, acc, group, d, length);
            }
            for (int g = 0; g < group; g++)
            {
                long outRow = (long)(kvHead * group + g) * d;
                for (int i = 0; i < d; i++)
                {
                    WidenedVectors.Store(call.Output, outRow + i, acc[g * d + i], call.BFloat16);
                }
            }
        }
        ArrayPool<float>.Shared.Return(queries);
        ArrayPool<float>.Shared.Return(scores);
        ArrayPool<float>.Shared.Return(sums);
    }

    // s[g, t] = q[g] · keys[t], for the group's query heads and every cached key (rows of d elements). Four keys at a
    // time, each with its own sum: with one key at a time, each key's multiply-adds and horizontal sum waited on the
    // last (about 60 cycles per key and head on llama24). Each key's sum runs in the same order as Dot's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores<T>(T* keys, float* q, float* s, int group, int d, int length) where T : unmanaged
    {
        int t = 0;
        for (; t + 4 <= length; t += 4)
        {
            T* rows = keys + (long)t * d;
            WidenedVectors.Prefetch((byte*)rows + PrefetchBytes, 4 * d * sizeof(T));
            for (int g = 0; g < group; g++)
            {
                Dot4(rows, q + g * d, d, s + g * length + t);
            }
        }
        for (; t < length; t++)
        {
            T* row = keys + (long)t * d;
            for (int g = 0; g < group; g++)
            {
                s[g * length + t] = Dot(row, q + g * d, d);
            }
        }
    }

    // acc[g] = sum over t of p[g, t] * values[t], in order of t; four values at a time, so that each part of acc is
    // loaded and stored once per four values instead of once per value.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum<T>(T* values, float* p, float* acc, int group, int d, int length) where T : unmanaged
    {
        int t = 0;
        for (; t + 4 <= length; t += 4)
        {
            T* rows = values + (long)t * d;
            WidenedVectors.Prefetch((byte*)rows + PrefetchBytes, 4 * d * sizeof(T));
            for (int g = 0; g < group; g++)
            {
                MultiplyAdd4(rows, p + g * length + t, acc + g * d, d);
            }
        }
        for (; t < length; t++)
        {
            T* row = values + (long)t * d;
            for (int g = 0; g < group; g++)
            {
                MultiplyAdd(row, p[g * length + t], acc + g * d, d);
            }
        }
    }

    // s[j] = q · rows[j] for the four consecutive rows of d elements at rows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4<T>(T* rows, float* q, int d, float* s) where T : unmanaged
    {
        int step = WidenedVectors.Step<T>();
        var s0 = Vector512<float>.Zero;
        var s1 = Vector512<float>.Zero;
        var s2 = Vector512<float>.Zero;
        var s3 = Vector512<float>.Zero;
        int i = 0;
        for (; i + step <= d; i += step)
        {
            s0 = WidenedVectors.MultiplyAdd(s0, rows + i, q + i);
            s1 = WidenedVectors.MultiplyAdd(s1, rows + d + i, q + i);
            s2 = WidenedVectors.MultiplyAdd(s2, rows + 2 * d + i, q + i);
            s3 = WidenedVectors.MultiplyAdd(s3, rows + 3 * d + i, q + i);
        }
        float t0 = Vector512.Sum(s0), t1 = Vector512.Sum(s1), t2 = Vector512.Sum(s2), t3 = Vector512.Sum(s3);
        for (; i < d; i++)
        {
            t0 += WidenedVectors.Element(rows, i) * q[i];
            t1 += WidenedVectors.Element(rows, d + i) * q[i];
            t2 += WidenedVectors.Element(rows, 2 * d + i) * q[i];
            t3 += WidenedVectors.Element(rows, 3 * d + i) * q[i];
        }
        s[0] = t0;
        s[1] = t1;
        s[2] = t2;
        s[3] = t3;
    }

    // sums += p[0] * rows[0] + ... + p[3] * rows[3], added in that order, for four consecutive rows of d elements.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAdd4<T>(T* rows, float* p, float* sums, int d) where T : unmanaged
    {
        int step = WidenedVectors.Step<T>();
        int i = 0;
        for (; i + step <= d; i += step)
        {
            WidenedVectors.ScaleAdd4(rows + i, d, p, sums + i);
        }
        for (; i < d; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                sums[i] += p[j] * WidenedVectors.Element(rows, (long)j * d + i);
            }
        }
    }

    // q · row, for one cached key.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<T>(T* row, float* q, int d) where T : unmanaged
    {
        int step = WidenedVectors.Step<T>();
        var sum = Vector512<float>.Zero;
        int i = 0;
        for (; i + step <= d; i += step)
        {
            sum = WidenedVectors.MultiplyAdd(sum, row + i, q + i);
        }
        float total = Vector512.Sum(sum);
        for (; i < d; i++)
        {
            total += WidenedVectors.Element(row, i) * q[i];
        }
        return total;
    }

    // sums += p * row, for one cached value.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAdd<T>(T* row, float p, float* sums, int d) where T : unmanaged
    {
        int step = WidenedVectors.Step<T>();
        int i = 0;
        for (; i + step <= d; i += step)
        {
            WidenedVectors.ScaleAdd(row + i, p, sums + i);
        }
        for (; i < d; i++)
        {
            sums[i] += p * WidenedVectors.Element(row, i);
        }
    }
}
