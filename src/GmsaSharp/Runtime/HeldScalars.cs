using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Runtime;

/// <summary>
/// Sums whose Scalars outlive the native call. TorchSharp 0.107 reads a Scalar's native handle and
/// passes it to libtorch without keeping the Scalar alive, and its operators make Scalars that nothing else
/// references (<c>x + y</c> passes alpha = 1, <c>x * 0.5</c> converts 0.5). A garbage collection that another thread
/// triggers during the call can then finalize one and free it while libtorch reads it ("Unknown scalar type",
/// wrong values: ConcurrentCollectionTests). So the library never lets TorchSharp make a Scalar: a sum passes
/// <see cref="One"/>, which lives for the process, as its alpha (TorchSharp's <c>add</c> without one makes it;
/// <c>sub</c>, <c>mul</c>, <c>div</c> and comparisons take none), and any other constant is a <c>using Scalar</c>
/// held until the call has returned (ScalarSafetyTests checks the library's IL for implicit conversions).
/// </summary>
internal static class HeldScalars
{
    /// <summary>The alpha of every sum.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary><paramref name="left"/> + <paramref name="right"/>.</summary>
    public static Tensor Plus(this Tensor left, Tensor right) => left.add(right, One);

    /// <summary><paramref name="left"/> + <paramref name="right"/>.</summary>
    public static Tensor Plus(this Tensor left, Scalar right) => left.add(right, One);

    /// <summary><paramref name="left"/> += <paramref name="right"/>, in place.</summary>
    public static Tensor PlusInPlace(this Tensor left, Tensor right) => left.add_(right, One);

    /// <summary><paramref name="left"/> += <paramref name="right"/>, in place.</summary>
    public static Tensor PlusInPlace(this Tensor left, Scalar right) => left.add_(right, One);
}
