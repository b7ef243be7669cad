using System.Text;

namespace GmsaSharp.Tokenization;

/// <summary>
/// Turns token ids into text as they arrive. <see cref="Push"/> returns only text that can no longer change:
/// bytes of a UTF-8 character split across tokens wait for the rest. All pushes followed by
/// <see cref="Flush"/> give exactly <see cref="HfTokenizer.Decode"/> of the same ids.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly HfTokenizerModel _model;
    private readonly bool _skipSpecialTokens;
    // Encoding.UTF8's decoder keeps an incomplete trailing sequence for the next call and replaces invalid
    // bytes exactly as a one-shot decode of the whole byte stream does.
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private bool _atStart = true;

    internal StreamingDecoder(HfTokenizerModel model, bool skipSpecialTokens)
    {
        _model = model;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id and returns the text that became final (possibly empty).</summary>
    public string Push(int id) => Decode(_model.DecodeToken(id, _skipSpecialTokens, ref _atStart), flush: false);

    /// <summary>Returns whatever is still held back (an incomplete character becomes U+FFFD) and starts over.</summary>
    public string Flush()
    {
        _atStart = true;
        return Decode([], flush: true);
    }

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        char[] chars = new char[_utf8.GetCharCount(bytes, flush)];
        _utf8.GetChars(bytes, chars, flush);
        return new string(chars);
    }
}
