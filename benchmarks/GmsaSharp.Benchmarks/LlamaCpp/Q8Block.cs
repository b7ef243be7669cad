namespace GmsaSharp.Benchmarks.LlamaCpp;

/// <summary>
/// ggml's Q8_0 layout: each run of 32 consecutive values along a row becomes an f16 scale d = max|x| / 127
/// followed by 32 int8 values round(x / d). llama.cpp's quantizer rounds the same way, so a Q8_0 GGUF from
/// here equals one from its own tools.
/// </summary>
public static class Q8Block
{
    /// <summary>Values per block.</summary>
    public const int Size = 32;

    /// <summary>Bytes per block: the f16 scale and 32 int8 values.</summary>
    public const int Bytes = 2 + Size;

    /// <summary>Quantizes <paramref name="values"/> (whole blocks, row-major) into Q8_0 bytes.</summary>
    public static byte[] Quantize(ReadOnlySpan<float> values)
    {
        if (values.Length % Size != 0)
        {
            throw new ArgumentException($"Q8_0 needs a multiple of {Size} values, got {values.Length}.", nameof(values));
        }
        var output = new byte[values.Length / Size * Bytes];
        for (int block = 0; block < values.Length / Size; block++)
        {
            ReadOnlySpan<float> x = values.Slice(block * Size, Size);
            float absMax = 0;
            foreach (float value in x)
            {
                absMax = MathF.Max(absMax, MathF.Abs(value));
            }
            float scale = absMax / 127;
            float inverse = scale == 0 ? 0 : 1 / scale;
            Span<byte> target = output.AsSpan(block * Bytes, Bytes);
            BitConverter.TryWriteBytes(target, (Half)scale);
            for (int i = 0; i < Size; i++)
            {
                target[2 + i] = (byte)(sbyte)MathF.Round(x[i] * inverse, MidpointRounding.AwayFromZero);
            }
        }
        return output;
    }
}
