using System.Text;

namespace GmsaSharp.Tokenization;

/// <summary>
/// GPT-2's byte-level alphabet: every byte is written as one printable character so that byte-level BPE
/// vocabularies (GPT-2, Llama-3, Qwen2/3) can store any byte sequence as a JSON string. Printable bytes stand
/// for themselves; the others (controls, space, 0x7F-0xA0, soft hyphen) take the characters from U+0100 on.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToSymbol = BuildByteToSymbol();
    private static readonly Dictionary<char, byte> SymbolToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToSymbol[b], b => (byte)b);

    /// <summary>The symbol that stands for <paramref name="value"/>.</summary>
    public static char Symbol(byte value) => ByteToSymbol[value];

    /// <summary>Writes the UTF-8 bytes of <paramref name="text"/> as byte-level symbols.</summary>
    public static string ToSymbols(ReadOnlySpan<char> text)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text)];
        Encoding.UTF8.GetBytes(text, bytes);
        return string.Create(bytes.Length, bytes, static (chars, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                chars[i] = ByteToSymbol[source[i]];
            }
        });
    }

    /// <summary>
    /// The bytes a vocabulary token stands for. A token with a character outside the alphabet is taken as
    /// plain text (its UTF-8 bytes), as HuggingFace's byte-level decoder does.
    /// </summary>
    public static byte[] ToBytes(string token)
    {
        byte[] bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!SymbolToByte.TryGetValue(token[i], out bytes[i]))
            {
                return Encoding.UTF8.GetBytes(token);
            }
        }
        return bytes;
    }

    private static char[] BuildByteToSymbol()
    {
        var symbols = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            symbols[b] = printable ? (char)b : (char)next++;
        }
        return symbols;
    }
}
