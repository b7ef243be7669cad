using Google.Protobuf;

namespace GmsaSharp.Tests.Tokenization;

/// <summary>
/// A small Llama-2-like SentencePiece tokenizer.model, written as a ModelProto: &lt;unk&gt;, &lt;s&gt;,
/// &lt;/s&gt;, the 256 byte-fallback pieces, then word pieces whose scores rank their merges.
/// </summary>
internal static class SentencePieceFixture
{
    public const int UnkId = 0;
    public const int BosId = 1;
    public const int EosId = 2;
    public const int FirstByteId = 3;

    // Enough single characters and merged pieces for "Hello world" style text; everything else falls back
    // to bytes.
    public static readonly string[] WordPieces =
    [
        "▁", "e", "l", "o", "H", "w", "r", "d", "t", "h", "a", "c", "s", "n", "i", "é",
        "▁t", "he", "▁the", "ll", "llo", "ello", "▁H", "▁Hello", "▁w", "or", "ld", "orld", "▁world", "▁c", "at", "▁cat",
    ];

    public static int PieceCount => FirstByteId + 256 + WordPieces.Length;

    public static int PieceId(string piece) => FirstByteId + 256 + Array.IndexOf(WordPieces, piece);

    public static byte[] Build(bool treatWhitespaceAsSuffix = false)
    {
        var model = new MemoryStream();
        var output = new CodedOutputStream(model);
        WritePiece(output, "<unk>", 0, type: 2);
        WritePiece(output, "<s>", 0, type: 3);
        WritePiece(output, "</s>", 0, type: 3);
        for (int b = 0; b < 256; b++)
        {
            WritePiece(output, $"<0x{b:X2}>", 0, type: 6);
        }
        for (int i = 0; i < WordPieces.Length; i++)
        {
            WritePiece(output, WordPieces[i], -i, type: 1);
        }
        WriteMessage(output, 2, trainer =>
        {
            trainer.WriteTag(3, WireFormat.WireType.Varint);
            trainer.WriteEnum(2); // model_type: BPE
            trainer.WriteTag(4, WireFormat.WireType.Varint);
            trainer.WriteInt32(PieceCount); // vocab_size
            trainer.WriteTag(24, WireFormat.WireType.Varint);
            trainer.WriteBool(treatWhitespaceAsSuffix);
            trainer.WriteTag(35, WireFormat.WireType.Varint);
            trainer.WriteBool(true); // byte_fallback
        });
        WriteMessage(output, 3, normalizer =>
        {
            normalizer.WriteTag(1, WireFormat.WireType.LengthDelimited);
            normalizer.WriteString("identity");
            normalizer.WriteTag(3, WireFormat.WireType.Varint);
            normalizer.WriteBool(true); // add_dummy_prefix
            normalizer.WriteTag(4, WireFormat.WireType.Varint);
            normalizer.WriteBool(false); // remove_extra_whitespaces
            normalizer.WriteTag(5, WireFormat.WireType.Varint);
            normalizer.WriteBool(true); // escape_whitespaces
        });
        output.Flush();
        return model.ToArray();
    }

    private static void WritePiece(CodedOutputStream output, string piece, float score, int type) =>
        WriteMessage(output, 1, p =>
        {
            p.WriteTag(1, WireFormat.WireType.LengthDelimited);
            p.WriteString(piece);
            p.WriteTag(2, WireFormat.WireType.Fixed32);
            p.WriteFloat(score);
            p.WriteTag(3, WireFormat.WireType.Varint);
            p.WriteEnum(type);
        });

    private static void WriteMessage(CodedOutputStream output, int field, Action<CodedOutputStream> writeFields)
    {
        var buffer = new MemoryStream();
        var inner = new CodedOutputStream(buffer);
        writeFields(inner);
        inner.Flush();
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(buffer.ToArray()));
    }
}
