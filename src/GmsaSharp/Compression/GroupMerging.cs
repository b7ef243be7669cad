using GmsaSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Compression;

/// <summary>
/// GMSA's group merging: each consecutive group of <c>rate</c> real encoder states is averaged into one
/// vector; a remainder of L mod rate states becomes one extra vector, so a row of L real states gives
/// ceil(L / rate) vectors. Padding never enters a mean. Plain means, no weights.
/// </summary>
internal static class GroupMerging
{
    /// <summary>Merges <paramref name="hidden"/> [batch, L, d] with its padding mask [batch, L] (1 = real; null = all real).</summary>
    /// <returns>Merged vectors [batch, M, d] with M = max over rows of ceil(real / rate), right-padded with
    /// zeros, and their mask [batch, M] (1 = real vector).</returns>
    public static (Tensor Merged, Tensor Mask) Merge(Tensor hidden, Tensor? mask, int rate)
    {
        if (rate < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The compression rate must be at least 1.");
        }
        if (hidden.dim() != 3)
        {
            throw new ArgumentException($"Encoder states must be [batch, length, hidden], got [{string.Join(", ", hidden.shape)}].", nameof(hidden));
        }
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1], width = hidden.shape[2];
        Tensor real = mask is null
            ? ones(batch, length, dtype: ScalarType.Int64, device: hidden.device)
            : mask.to(ScalarType.Int64).to(hidden.device);
        if (real.shape[0] != batch || real.shape[1] != length)
        {
            throw new ArgumentException($"The mask must be [{batch}, {length}], got [{string.Join(", ", real.shape)}].", nameof(mask));
        }

        // Each real state's rank among its row's real states decides its group; padding goes to a spare
        // slot past the end that is dropped afterwards.
        Tensor counts = real.sum(1);
        long groups = Math.Max(1, (counts.max().item<long>() + rate - 1) / rate);
        using Scalar rateScalar = rate.ToScalar(), spare = groups.ToScalar(), zero = 0.ToScalar();
        Tensor rank = real.cumsum(1) - HeldScalars.One;
        Tensor group = where(real.to(ScalarType.Bool), rank.floor_divide(rateScalar), full_like(rank, spare));

        Tensor index = group.unsqueeze(-1).expand(batch, length, width);
        Tensor sums = zeros(batch, groups + 1, width, dtype: ScalarType.Float32, device: hidden.device)
            .scatter_add(1, index, hidden.to(ScalarType.Float32));
        Tensor sizes = zeros(batch, groups + 1, dtype: ScalarType.Float32, device: hidden.device)
            .scatter_add(1, group, real.to(ScalarType.Float32));
        sums = sums.narrow(1, 0, groups);
        sizes = sizes.narrow(1, 0, groups);
        Tensor merged = (sums / sizes.clamp_min(HeldScalars.One).unsqueeze(-1)).to(hidden.dtype);
        Tensor mergedMask = (sizes > zero).to(ScalarType.Int64);
        return (merged.MoveToOuterDisposeScope(), mergedMask.MoveToOuterDisposeScope());
    }

    /// <summary>How many vectors <paramref name="length"/> states give at <paramref name="rate"/>: ceil(length / rate).</summary>
    public static int Count(int length, int rate) => (length + rate - 1) / rate;
}
