using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace GmsaSharp.Synthetic.Tokenization;

/// <summary>
/// The result of <see cref="BpeTrainer.Train"/>: byte-level BPE tokens and merges plus special tokens, saved as a
/// HuggingFace tokenizer (tokenizer.json in the Qwen2 shape, tokenizer_config.json).
/// </summary>
public sealed class TrainedBpeTokenizer
{
    private readonly string[] _specialTokens;

    internal TrainedBpeTokenizer(IReadOnlyList<string> tokens, IReadOnlyList<(string Left, string Right)> merges, IReadOnlyList<string> specialTokens)
    {
        Tokens = tokens.ToArray();
        Merges = merges.ToArray();
        _specialTokens = specialTokens.ToArray();
    }

    /// <summary>The learned vocabulary by id, in GPT-2's byte-level spelling; ids 0-255 are the single bytes.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The merges in the order learned, which is their priority when encoding.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>The special tokens; they take the ids after <see cref="Tokens"/>, in this order.</summary>
    public IReadOnlyList<string> SpecialTokens => _specialTokens;

    /// <summary>The end-of-text token (the first special token): EOS and padding.</summary>
    public string EndOfTextToken => SpecialTokens[0];

    /// <summary>Tokens plus special tokens.</summary>
    public int VocabularySize => Tokens.Count + SpecialTokens.Count;

    /// <summary>The id of a special token.</summary>
    public int SpecialTokenId(string token)
    {
        int index = Array.IndexOf(_specialTokens, token);
        return index >= 0 ? Tokens.Count + index : throw new ArgumentException($"'{token}' is not a special token of this tokenizer.", nameof(token));
    }

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="directory"/> (created if needed).</summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        WriteJson(Path.Combine(directory, "tokenizer.json"), WriteTokenizer);
        WriteJson(Path.Combine(directory, "tokenizer_config.json"), WriteTokenizerConfig);
    }

    private void WriteTokenizer(Utf8JsonWriter json)
    {
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");
        json.WriteStartArray("added_tokens");
        foreach (string special in SpecialTokens)
        {
            json.WriteStartObject();
            json.WriteNumber("id", SpecialTokenId(special));
            json.WriteString("content", special);
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("special", true);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNull("normalizer");

        json.WriteStartObject("pre_tokenizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("pretokenizers");
        json.WriteStartObject();
        json.WriteString("type", "Split");
        json.WriteStartObject("pattern");
        json.WriteString("Regex", BpeTrainer.SplitPattern);
        json.WriteEndObject();
        json.WriteString("behavior", "Isolated");
        json.WriteBoolean("invert", false);
        json.WriteEndObject();
        WriteByteLevel(json, null, addPrefixSpace: false, trimOffsets: false, useRegex: false);
        json.WriteEndArray();
        json.WriteEndObject();

        WriteByteLevel(json, "post_processor", addPrefixSpace: false, trimOffsets: false, useRegex: false);
        WriteByteLevel(json, "decoder", addPrefixSpace: true, trimOffsets: true, useRegex: true);

        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteBoolean("ignore_merges", false);
        json.WriteStartObject("vocab");
        for (int id = 0; id < Tokens.Count; id++)
        {
            json.WriteNumber(Tokens[id], id);
        }
        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach ((string left, string right) in Merges)
        {
            // Byte-level symbols never include a space, so "left right" is unambiguous.
            json.WriteStringValue($"{left} {right}");
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private void WriteTokenizerConfig(Utf8JsonWriter json)
    {
        json.WriteBoolean("add_bos_token", false);
        json.WriteBoolean("add_eos_token", false);
        json.WriteNull("bos_token");
        json.WriteString("eos_token", EndOfTextToken);
        json.WriteString("pad_token", EndOfTextToken);
        json.WriteNull("unk_token");
        json.WriteBoolean("clean_up_tokenization_spaces", false);
        json.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
        json.WriteStartObject("added_tokens_decoder");
        foreach (string special in SpecialTokens)
        {
            json.WriteStartObject(SpecialTokenId(special).ToString(CultureInfo.InvariantCulture));
            json.WriteString("content", special);
            json.WriteBoolean("special", true);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    /// <remarks>ByteLevel steps differ only in their flags; <paramref name="name"/> null writes an array element.</remarks>
    private static void WriteByteLevel(Utf8JsonWriter json, string? name, bool addPrefixSpace, bool trimOffsets, bool useRegex)
    {
        if (name is null)
        {
            json.WriteStartObject();
        }
        else
        {
            json.WriteStartObject(name);
        }
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", addPrefixSpace);
        json.WriteBoolean("trim_offsets", trimOffsets);
        json.WriteBoolean("use_regex", useRegex);
        json.WriteEndObject();
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> writeFields)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        // Relaxed escaping keeps the byte-level symbols (Ġ, Ċ) readable, as in HuggingFace's own files.
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        writeFields(json);
        json.WriteEndObject();
    }
}
