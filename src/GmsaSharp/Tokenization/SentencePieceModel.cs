using System.Globalization;
using System.Text;
using Google.Protobuf;
using Microsoft.ML.Tokenizers;

namespace GmsaSharp.Tokenization;

/// <summary>
/// A SentencePiece tokenizer.model (Llama-2, Mistral), encoded by Microsoft.ML.Tokenizers'
/// <see cref="SentencePieceTokenizer"/>. The piece list is also read here, because decoding needs each
/// piece's type (byte, control, ...), which that class does not expose.
/// </summary>
internal sealed class SentencePieceModel : HfTokenizerModel
{
    // SentencePiece's ModelProto: field 1 of the model is a repeated piece, 2 the trainer spec, 3 the
    // normalizer spec; field 1 of a piece is its text, 3 its type.
    private const int PiecesField = 1;
    private const int TrainerSpecField = 2;
    private const int NormalizerSpecField = 3;
    private const int PieceTextField = 1;
    private const int PieceTypeField = 3;

    private readonly SentencePieceTokenizer _tokenizer;
    private readonly Dictionary<string, int> _ids;

    private SentencePieceModel(string path, byte[]?[] tokenBytes, bool[] special, SentencePieceTokenizer tokenizer, Dictionary<string, int> ids, int? bosId, int? eosId)
        : base(path, tokenBytes, special, stripsLeadingSpace: tokenizer.AddDummyPrefix)
    {
        _tokenizer = tokenizer;
        _ids = ids;
        BuiltInBosId = bosId;
        BuiltInEosId = eosId;
    }

    private enum PieceType
    {
        Normal = 1,
        Unknown = 2,
        Control = 3,
        UserDefined = 4,
        Unused = 5,
        Byte = 6,
    }

    /// <summary>SentencePiece models for Llama-2 and Mistral start every text with BOS.</summary>
    public override bool AddsBosByDefault => BuiltInBosId is not null;

    /// <inheritdoc/>
    public override int? BuiltInBosId { get; }

    /// <inheritdoc/>
    public override int? BuiltInEosId { get; }

    /// <summary>Reads <paramref name="path"/>; <paramref name="addedTokens"/> come from the folder's JSON files.</summary>
    public static SentencePieceModel FromFile(string path, IReadOnlyList<HfAddedToken> addedTokens)
    {
        byte[] data = File.ReadAllBytes(path);
        List<(string Text, PieceType Type)> pieces = ReadPieces(data, path);

        SentencePieceTokenizer tokenizer;
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < pieces.Count; id++)
        {
            ids.TryAdd(pieces[id].Text, id);
        }
        // Control, unknown and user-defined pieces are matched whole in text, as HuggingFace does.
        var matchedWhole = pieces
            .Select((piece, id) => (piece.Text, piece.Type, Id: id))
            .Where(p => p.Type is PieceType.Control or PieceType.Unknown or PieceType.UserDefined)
            .Select(p => (p.Text, p.Id))
            .Concat(addedTokens.Select(t => (Text: t.Content, t.Id)))
            .DistinctBy(t => t.Text)
            .OrderByDescending(t => t.Text.Length)
            .ToDictionary(t => t.Text, t => t.Id, StringComparer.Ordinal);
        try
        {
            tokenizer = SentencePieceTokenizer.Create(new MemoryStream(data), addBeginningOfSentence: false, addEndOfSentence: false, specialTokens: matchedWhole);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidProtocolBufferException)
        {
            throw new InvalidDataException($"'{path}' is not a usable SentencePiece model: {e.Message}", e);
        }
        if (tokenizer.TreatWhitespaceAsSuffix)
        {
            throw new InvalidDataException($"'{path}' is not a usable SentencePiece model: it treats whitespace as a suffix, which is not supported.");
        }

        int size = Math.Max(pieces.Count, addedTokens.Count == 0 ? 0 : addedTokens.Max(t => t.Id) + 1);
        var tokenBytes = new byte[]?[size];
        var special = new bool[size];
        for (int id = 0; id < pieces.Count; id++)
        {
            (string text, PieceType type) = pieces[id];
            tokenBytes[id] = PieceBytes(text, type, tokenizer.EscapeWhiteSpaces);
            special[id] = type is PieceType.Control or PieceType.Unknown or PieceType.Unused;
        }
        foreach (HfAddedToken token in addedTokens)
        {
            ids[token.Content] = token.Id;
            tokenBytes[token.Id] = Encoding.UTF8.GetBytes(token.Content);
            special[token.Id] = token.Special || special[token.Id];
        }

        int? ControlId(string piece) => ids.TryGetValue(piece, out int id) && id < pieces.Count && pieces[id].Type == PieceType.Control ? id : null;
        return new SentencePieceModel(path, tokenBytes, special, tokenizer, ids, ControlId(tokenizer.BeginningOfSentenceToken), ControlId(tokenizer.EndOfSentenceToken));
    }

    /// <inheritdoc/>
    public override void Encode(string text, List<int> ids) =>
        ids.AddRange(_tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false));

    /// <inheritdoc/>
    public override bool TryGetId(string token, out int id) => _ids.TryGetValue(token, out id);

    private static byte[] PieceBytes(string text, PieceType type, bool escapesWhitespace)
    {
        if (type == PieceType.Byte && text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text.EndsWith('>')
            && byte.TryParse(text.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte value))
        {
            return [value];
        }
        if (type is PieceType.Normal or PieceType.UserDefined && escapesWhitespace)
        {
            // SentencePiece writes spaces as U+2581 ('▁').
            return Encoding.UTF8.GetBytes(text.Replace('\u2581', ' '));
        }
        return Encoding.UTF8.GetBytes(text);
    }

    private static List<(string Text, PieceType Type)> ReadPieces(byte[] data, string path)
    {
        var pieces = new List<(string, PieceType)>();
        bool hasTrainerSpec = false;
        bool hasNormalizerSpec = false;
        try
        {
            var input = new CodedInputStream(data);
            for (uint tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
            {
                int field = WireFormat.GetTagFieldNumber(tag);
                if (field == PiecesField && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    pieces.Add(ReadPiece(input.ReadBytes(), pieces.Count, path));
                    continue;
                }
                hasTrainerSpec |= field == TrainerSpecField;
                hasNormalizerSpec |= field == NormalizerSpecField;
                input.SkipLastField();
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{path}' is not a SentencePiece model (not a valid ModelProto): {e.Message}", e);
        }
        if (pieces.Count == 0 || !hasTrainerSpec || !hasNormalizerSpec)
        {
            throw new InvalidDataException($"'{path}' is not a SentencePiece model: it has {pieces.Count} pieces, {(hasTrainerSpec ? "a" : "no")} trainer spec and {(hasNormalizerSpec ? "a" : "no")} normalizer spec; all three are required.");
        }
        return pieces;
    }

    private static (string Text, PieceType Type) ReadPiece(ByteString bytes, int index, string path)
    {
        string text = "";
        var type = PieceType.Normal;
        var input = new CodedInputStream(bytes.ToByteArray());
        for (uint tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case PieceTextField:
                    text = input.ReadString();
                    break;
                case PieceTypeField:
                    type = (PieceType)input.ReadEnum();
                    if (!Enum.IsDefined(type))
                    {
                        throw new InvalidDataException($"'{path}' is not a usable SentencePiece model: piece {index} ('{text}') has the unknown type {(int)type}.");
                    }
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        return (text, type);
    }
}
