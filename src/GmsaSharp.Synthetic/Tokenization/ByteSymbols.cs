namespace GmsaSharp.Synthetic.Tokenization;

/// <summary>
/// GPT-2's byte-to-unicode alphabet: each byte is one printable character, so byte-level tokens can be written
/// as JSON strings without spaces or control characters. Printable bytes stand for themselves; the others take
/// the characters from U+0100 on, in byte order.
/// </summary>
internal static class ByteSymbols
{
    private static readonly string[] Symbols = Build();

    /// <summary>The one-character string that stands for <paramref name="value"/>.</summary>
    public static string Of(int value) => Symbols[value];

    private static string[] Build()
    {
        var symbols = new string[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            symbols[b] = ((char)(printable ? b : next++)).ToString();
        }
        return symbols;
    }
}
