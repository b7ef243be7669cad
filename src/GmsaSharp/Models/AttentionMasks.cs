using GmsaSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>Builds the boolean masks and default position ids of causal attention.</summary>
internal static class AttentionMasks
{
    /// <summary>
    /// Which keys each new query may attend to, [batch, 1, new, past + new] (true = attend), or null when no
    /// mask is needed: without padding or window, either there is no cache (plain causal attention over
    /// the new positions) or there is one new query (it sees every key), the common decoding step.
    /// A query sees earlier and equal positions, within <paramref name="slidingWindow"/> (query - key &lt; window),
    /// that are not padding. Padding queries see themselves, so no softmax row is empty.
    /// <paramref name="padding"/> is [batch, past + new] with 1 = real token, 0 = padding; or null.
    /// </summary>
    public static Tensor? Causal(long batch, long past, long length, Tensor? padding, int? slidingWindow, Device device)
    {
        if ((past == 0 || length == 1) && padding is null && slidingWindow is null)
        {
            return null;
        }
        using var scope = NewDisposeScope();
        long keys = past + length;
        using Scalar first = past.ToScalar(), zero = 0L.ToScalar(), end = keys.ToScalar();
        Tensor queryPositions = arange(first, end, HeldScalars.One, dtype: ScalarType.Int64, device: device).unsqueeze(1);
        Tensor keyPositions = arange(zero, end, HeldScalars.One, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        Tensor allowed = keyPositions <= queryPositions;
        if (slidingWindow is { } window)
        {
            using Scalar width = window.ToScalar();
            allowed = allowed & (queryPositions - keyPositions < width);
        }
        Tensor mask = allowed.unsqueeze(0).unsqueeze(0).expand(batch, 1, length, keys);
        if (padding is not null)
        {
            Tensor real = padding.to(ScalarType.Bool).view(batch, 1, 1, keys);
            mask = (mask & real) | (keyPositions == queryPositions).view(1, 1, length, keys);
        }
        return mask.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Default position ids [batch, new]: with padding, each row counts only its real tokens
    /// (so left-padded rows start at 0); otherwise past, past + 1, ...</summary>
    public static Tensor Positions(long batch, long past, long length, Tensor? padding, Device device)
    {
        using var scope = NewDisposeScope();
        if (padding is null)
        {
            using Scalar first = past.ToScalar(), end = (past + length).ToScalar();
            return arange(first, end, HeldScalars.One, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(batch, length).MoveToOuterDisposeScope();
        }
        using Scalar zero = 0L.ToScalar();
        Tensor counted = (padding.to(ScalarType.Int64).cumsum(1) - HeldScalars.One).clamp_min(zero);
        return counted.narrow(1, past, length).MoveToOuterDisposeScope();
    }
}
