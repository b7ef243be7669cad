using GmsaSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// Rotary position embedding in HF's rotate-half convention: dimension i is paired with i + d/2 and
/// rotated by angle position * inv_freq[i], inv_freq[i] = theta^(-2i/d), optionally rescaled (llama3).
/// </summary>
internal sealed class RotaryEmbedding
{
    private readonly float[] _inverseFrequencies;

    /// <summary>Frequencies for heads of size <paramref name="headDim"/>.</summary>
    public RotaryEmbedding(int headDim, double theta, Llama3RopeScaling? scaling)
    {
        _inverseFrequencies = new float[headDim / 2];
        for (int i = 0; i < _inverseFrequencies.Length; i++)
        {
            double frequency = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
            _inverseFrequencies[i] = (float)(scaling is null ? frequency : Llama3Scaled(frequency, scaling));
        }
    }

    /// <summary>inv_freq, one per rotated pair.</summary>
    public IReadOnlyList<float> InverseFrequencies => _inverseFrequencies;

    /// <summary>cos and signed sin tables [batch, 1, seq, head_dim] for <paramref name="positionIds"/> [batch, seq],
    /// computed in fp32 and cast to <paramref name="dtype"/>, shaped to broadcast over the heads of every block.
    /// The sin table's first half is negated (see <see cref="Apply"/>).</summary>
    public (Tensor Cos, Tensor SignedSin) Tables(Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        Tensor inverse = tensor(_inverseFrequencies, device: positionIds.device);
        Tensor angles = positionIds.to(ScalarType.Float32).unsqueeze(-1) * inverse;
        Tensor sin = angles.sin();
        Tensor cos = cat([angles, angles], dim: -1).cos();
        Tensor signedSin = cat([-sin, sin], dim: -1);
        return (cos.to(dtype).unsqueeze(1).MoveToOuterDisposeScope(), signedSin.to(dtype).unsqueeze(1).MoveToOuterDisposeScope());
    }

    /// <summary>Rotates <paramref name="x"/> [batch, heads, seq, head_dim] by the tables from <see cref="Tables"/>.</summary>
    /// <remarks>HF's x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1], computed as x * cos + roll(x) * signed_sin
    /// with roll(x) = [x2, x1] and signed_sin = [-sin, sin]: the same products (a sign moves between factors, which
    /// is exact), so the same numbers, in four ops instead of nine. It runs for q and k of every block of every step.
    /// The caller's dispose scope owns the intermediates.</remarks>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor signedSin) =>
        IsOneToken(x, cos, signedSin)
            ? ApplyToOneToken(x, cos, signedSin)
            : (x * cos).PlusInPlace(x.roll(x.size(-1) / 2, -1) * signedSin);

    // A decoding step rotates q and k of one token in every block: four libtorch ops per call cost more than the
    // arithmetic. The same three roundings per value in one pass (see ApplyToOneToken).
    internal static bool IsOneToken(Tensor x, Tensor cos, Tensor signedSin)
    {
        if (x.dim() != 4 || x.size(0) != 1 || x.size(2) != 1 || x.NumberOfElements == 0 || x.size(-1) % 2 != 0
            || cos.NumberOfElements != x.size(-1) || signedSin.NumberOfElements != x.size(-1))
        {
            return false;
        }
        return OwnLoopOperands.Readable(x, cos, signedSin);
    }

    // x [1, heads, 1, head_dim]: value i of each head becomes x_i * cos_i + x_(i + d/2 mod d) * signed_sin_i, each
    // product rounded to the dtype and the sum rounded again, as the ops do.
    private static unsafe Tensor ApplyToOneToken(Tensor x, Tensor cos, Tensor signedSin)
    {
        Tensor output = empty_like(x);
        bool bfloat16 = x.dtype == ScalarType.BFloat16;
        int d = (int)x.size(-1), half = d / 2;
        long heads = x.NumberOfElements / d;
        fixed (byte* inputBytes = x.bytes, cosBytes = cos.bytes, sinBytes = signedSin.bytes, outputBytes = output.bytes)
        {
            nint input = (nint)inputBytes, cosines = (nint)cosBytes, sines = (nint)sinBytes, result = (nint)outputBytes;
            for (long head = 0; head < heads; head++)
            {
                long first = head * d;
                for (int i = 0; i < d; i++)
                {
                    float rotated = BFloat16Bits.Rounded(WidenedVectors.Element(input, first + i, bfloat16) * WidenedVectors.Element(cosines, i, bfloat16), bfloat16);
                    float paired = BFloat16Bits.Rounded(WidenedVectors.Element(input, first + (i + half) % d, bfloat16) * WidenedVectors.Element(sines, i, bfloat16), bfloat16);
                    WidenedVectors.Store(result, first + i, rotated + paired, bfloat16);
                }
            }
        }
        return output;
    }

    // Llama 3.1: wavelengths longer than original_max / low_freq_factor are slowed by `factor`, those
    // shorter than original_max / high_freq_factor are kept, and the band between is interpolated.
    private static double Llama3Scaled(double frequency, Llama3RopeScaling scaling)
    {
        double wavelength = 2 * Math.PI / frequency;
        double lowFrequencyWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.LowFrequencyFactor;
        double highFrequencyWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.HighFrequencyFactor;
        if (wavelength < highFrequencyWavelength)
        {
            return frequency;
        }
        if (wavelength > lowFrequencyWavelength)
        {
            return frequency / scaling.Factor;
        }
        double smooth = (scaling.OriginalMaxPositionEmbeddings / wavelength - scaling.LowFrequencyFactor)
            / (scaling.HighFrequencyFactor - scaling.LowFrequencyFactor);
        return (1 - smooth) * frequency / scaling.Factor + smooth * frequency;
    }
}
