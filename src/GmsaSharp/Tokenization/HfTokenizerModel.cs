namespace GmsaSharp.Tokenization;

/// <summary>
/// What <see cref="HfTokenizer"/> needs from one kind of tokenizer file: encoding, token lookup and, for
/// decoding, the bytes each token stands for. Decoding is byte-based for every kind so that a text split
/// anywhere inside a UTF-8 character decodes the same whole or streamed.
/// </summary>
internal abstract class HfTokenizerModel
{
    private readonly byte[]?[] _tokenBytes;
    private readonly bool[] _special;
    private readonly bool _stripsLeadingSpace;

    /// <param name="path">The file the model was read from, for messages.</param>
    /// <param name="tokenBytes">Each id's bytes; null where no token has that id.</param>
    /// <param name="special">Which ids decoding drops when asked to skip special tokens.</param>
    /// <param name="stripsLeadingSpace">
    /// Whether decoding drops one leading space from the first token, undoing the space SentencePiece adds in
    /// front of the text when encoding (its "dummy prefix").
    /// </param>
    protected HfTokenizerModel(string path, byte[]?[] tokenBytes, bool[] special, bool stripsLeadingSpace)
    {
        Path = path;
        _tokenBytes = tokenBytes;
        _special = special;
        _stripsLeadingSpace = stripsLeadingSpace;
    }

    /// <summary>The tokenizer file the model was read from.</summary>
    public string Path { get; }

    /// <summary>One more than the largest token id, added tokens included.</summary>
    public int VocabularySize => _tokenBytes.Length;

    /// <summary>Whether encoding should start with BOS when the folder's configuration does not say.</summary>
    public abstract bool AddsBosByDefault { get; }

    /// <summary>The tokenizer file's own BOS id, used when no configuration file names one.</summary>
    public abstract int? BuiltInBosId { get; }

    /// <summary>The tokenizer file's own EOS id, used when no configuration file names one.</summary>
    public abstract int? BuiltInEosId { get; }

    /// <summary>Appends the ids of <paramref name="text"/> (no BOS or EOS) to <paramref name="ids"/>.</summary>
    public abstract void Encode(string text, List<int> ids);

    /// <summary>The id of a token written as text (an added token or a vocabulary entry).</summary>
    public abstract bool TryGetId(string token, out int id);

    /// <summary>
    /// The bytes one token contributes to decoded text: none for a skipped special token, and without the
    /// dummy-prefix space when it is the first token decoded. <paramref name="atStart"/> is true until a
    /// token has been decoded.
    /// </summary>
    public ReadOnlySpan<byte> DecodeToken(int id, bool skipSpecialTokens, ref bool atStart)
    {
        if ((uint)id >= (uint)_tokenBytes.Length || _tokenBytes[id] is not byte[] bytes)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is not in the vocabulary of '{Path}' ({VocabularySize} ids).");
        }
        if (_special[id] && skipSpecialTokens)
        {
            return [];
        }
        bool first = atStart;
        atStart = false;
        if (first && _stripsLeadingSpace && !_special[id] && bytes.Length > 0 && bytes[0] == (byte)' ')
        {
            return bytes.AsSpan(1);
        }
        return bytes;
    }
}
