using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GmsaSharp.Models;

/// <summary>
/// bf16 or f32 memory read as float32 vectors, for the decoding loops (<see cref="SingleRowLinear"/>,
/// <see cref="SingleQueryAttention"/>). The element type <c>T</c> is <see cref="ushort"/> for bf16 (its bits) or
/// <see cref="float"/>; the JIT compiles each caller once per type with the other branch removed. One step reads one
/// 64-byte line: 32 bf16 or 16 f32 values.
/// </summary>
internal static unsafe class WidenedVectors
{
    /// <summary>The number of <typeparamref name="T"/> values one step reads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Step<T>() where T : unmanaged => typeof(T) == typeof(ushort) ? 32 : 16;

    /// <summary><paramref name="sum"/> plus, lane by lane, one step of <paramref name="w"/> times as many floats of <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd<T>(Vector512<float> sum, T* w, float* x) where T : unmanaged
    {
        if (typeof(T) == typeof(ushort))
        {
            // A bfloat16 is the upper half of a float32: widening is a shift of each 16-bit lane into the top half.
            (Vector512<uint> low, Vector512<uint> high) = Vector512.Widen(Vector512.Load((ushort*)w));
            sum = Vector512.FusedMultiplyAdd((low << 16).AsSingle(), Vector512.Load(x), sum);
            return Vector512.FusedMultiplyAdd((high << 16).AsSingle(), Vector512.Load(x + 16), sum);
        }
        return Vector512.FusedMultiplyAdd(Vector512.Load((float*)w), Vector512.Load(x), sum);
    }

    /// <summary>Adds <paramref name="p"/> times one step of <paramref name="w"/> to as many floats at <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleAdd<T>(T* w, float p, float* sums) where T : unmanaged
    {
        var scale = Vector512.Create(p);
        if (typeof(T) == typeof(ushort))
        {
            (Vector512<uint> low, Vector512<uint> high) = Vector512.Widen(Vector512.Load((ushort*)w));
            Vector512.FusedMultiplyAdd((low << 16).AsSingle(), scale, Vector512.Load(sums)).Store(sums);
            Vector512.FusedMultiplyAdd((high << 16).AsSingle(), scale, Vector512.Load(sums + 16)).Store(sums + 16);
            return;
        }
        Vector512.FusedMultiplyAdd(Vector512.Load((float*)w), scale, Vector512.Load(sums)).Store(sums);
    }

    /// <summary>Adds <c>p[j]</c> times one step of <c>w + j * stride</c>, for j = 0..3 in that order, to as many floats at
    /// <paramref name="sums"/>, loading and storing them once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleAdd4<T>(T* w, int stride, float* p, float* sums) where T : unmanaged
    {
        if (typeof(T) == typeof(ushort))
        {
            var low = Vector512.Load(sums);
            var high = Vector512.Load(sums + 16);
            for (int j = 0; j < 4; j++)
            {
                var scale = Vector512.Create(p[j]);
                (Vector512<uint> wl, Vector512<uint> wh) = Vector512.Widen(Vector512.Load((ushort*)w + j * stride));
                low = Vector512.FusedMultiplyAdd((wl << 16).AsSingle(), scale, low);
                high = Vector512.FusedMultiplyAdd((wh << 16).AsSingle(), scale, high);
            }
            low.Store(sums);
            high.Store(sums + 16);
            return;
        }
        var sum = Vector512.Load(sums);
        for (int j = 0; j < 4; j++)
        {
            sum = Vector512.FusedMultiplyAdd(Vector512.Load((float*)w + j * stride), Vector512.Create(p[j]), sum);
        }
        sum.Store(sums);
    }

    /// <summary>Value <paramref name="index"/> of <paramref name="w"/> as a float32 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element<T>(T* w, long index) where T : unmanaged =>
        typeof(T) == typeof(ushort) ? BFloat16Bits.ToSingle(((ushort*)w)[index]) : ((float*)w)[index];

    /// <summary>Value <paramref name="index"/> of bf16 (<paramref name="bfloat16"/>) or f32 memory at <paramref name="data"/>,
    /// for code that knows the dtype only at run time.</summary>
    public static float Element(nint data, long index, bool bfloat16) =>
        bfloat16 ? Element((ushort*)data, index) : Element((float*)data, index);

    /// <summary>Writes <paramref name="value"/> as element <paramref name="index"/> of bf16 (<paramref name="bfloat16"/>,
    /// rounded to nearest even as libtorch converts) or f32 memory at <paramref name="data"/>.</summary>
    public static void Store(nint data, long index, float value, bool bfloat16)
    {
        if (bfloat16)
        {
            ((ushort*)data)[index] = BFloat16Bits.FromSingle(value);
        }
        else
        {
            ((float*)data)[index] = value;
        }
    }

    /// <summary>Asks for the 64-byte lines covering <paramref name="bytes"/> bytes at <paramref name="address"/>. A
    /// prefetch is a hint that never faults, so an address past the end of the data is harmless. The loops read in
    /// order and request what they will read some kilobytes later: this machine's hardware prefetcher alone left them
    /// ~25-35% slower (benchmarks/RESULTS.md, issue 22).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(byte* address, int bytes)
    {
        if (Sse.IsSupported)
        {
            for (int offset = 0; offset < bytes; offset += 64)
            {
                Sse.Prefetch0(address + offset);
            }
        }
    }
}
