namespace GmsaSharp.Models;

/// <summary>bfloat16 values as their 16 bits, for the decoding loops that read and write tensor memory directly: a
/// bfloat16 is the upper half of a float32.</summary>
internal static class BFloat16Bits
{
    /// <summary>The float32 that <paramref name="bits"/> stand for (exact).</summary>
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary><paramref name="value"/> rounded to nearest, ties to even, as libtorch converts; a NaN stays a (quiet) NaN.</summary>
    public static ushort FromSingle(float value)
    {
        if (float.IsNaN(value))
        {
            return 0x7FC0;
        }
        uint bits = BitConverter.SingleToUInt32Bits(value);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return (ushort)(bits >> 16);
    }

    /// <summary><paramref name="value"/> rounded to the nearest bfloat16 when <paramref name="bfloat16"/>, else unchanged
    /// (a float32 result needs no further rounding): what storing a product in a tensor of that dtype does to it.</summary>
    public static float Rounded(float value, bool bfloat16) => bfloat16 ? ToSingle(FromSingle(value)) : value;
}
