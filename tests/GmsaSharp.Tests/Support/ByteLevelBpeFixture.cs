using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GmsaSharp.Checkpoints;
using GmsaSharp.Tokenization;

namespace GmsaSharp.Tests.Support;

/// <summary>
/// A small byte-level BPE tokenizer.json: all 256 byte symbols plus merges trained here on a corpus, and
/// Qwen-style added tokens after the vocabulary.
/// </summary>
internal sealed class ByteLevelBpeFixture
{
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    public const string QwenPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public const string Corpus =
        "the cat sat on the mat. the dog ate the cat food in 2024 and 2024 again.\n" +
        "café crème, café au lait; naïve résumé.\n" +
        "日本語のテキストと日本語の文。日本語!\n" +
        "emoji 🎉🎉 party 👋🏽 hello hello world\n" +
        "    indented code\n\tand tabs\r\n";

    public static readonly (string Content, bool Special)[] AddedTokens =
    [
        ("<|endoftext|>", true),
        ("<|im_start|>", true),
        ("<|im_end|>", true),
        ("<think>", false),
    ];

    private ByteLevelBpeFixture(Dictionary<string, int> vocab, List<(string Left, string Right)> merges)
    {
        Vocab = vocab;
        Merges = merges;
    }

    public Dictionary<string, int> Vocab { get; }

    public List<(string Left, string Right)> Merges { get; }

    /// <summary>The id of the first added token; the others follow.</summary>
    public int FirstAddedId => Vocab.Count;

    public int AddedId(string content) => FirstAddedId + Array.FindIndex(AddedTokens, t => t.Content == content);

    /// <summary>The vocabulary id of a token written as plain text.</summary>
    public int IdOf(string text) => Vocab[ByteLevelAlphabet.ToSymbols(text)];

    /// <summary>Learns <paramref name="mergeCount"/> merges, most frequent pair first (ties by ordinal order).</summary>
    public static ByteLevelBpeFixture Train(int mergeCount = 120)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            vocab.Add(ByteLevelAlphabet.Symbol((byte)b).ToString(), b);
        }
        List<List<string>> words = Regex.Matches(Corpus, Gpt2Pattern)
            .Select(m => ByteLevelAlphabet.ToSymbols(m.Value).Select(c => c.ToString()).ToList())
            .ToList();
        var merges = new List<(string, string)>();
        while (merges.Count < mergeCount)
        {
            var counts = new Dictionary<(string, string), int>();
            foreach (List<string> word in words)
            {
                for (int i = 0; i + 1 < word.Count; i++)
                {
                    counts[(word[i], word[i + 1])] = counts.GetValueOrDefault((word[i], word[i + 1])) + 1;
                }
            }
            if (counts.Count == 0)
            {
                break;
            }
            (string left, string right) = counts
                .OrderByDescending(c => c.Value)
                .ThenBy(c => c.Key.Item1 + " " + c.Key.Item2, StringComparer.Ordinal)
                .First().Key;
            merges.Add((left, right));
            vocab.TryAdd(left + right, vocab.Count);
            foreach (List<string> word in words)
            {
                for (int i = 0; i + 1 < word.Count; i++)
                {
                    if (word[i] == left && word[i + 1] == right)
                    {
                        word[i] = left + right;
                        word.RemoveAt(i + 1);
                    }
                }
            }
        }
        return new ByteLevelBpeFixture(vocab, merges);
    }

    /// <summary>
    /// The tokenizer.json: Qwen-style (a Split with <see cref="QwenPattern"/>, then a ByteLevel that does not
    /// split) or GPT-2 style (a ByteLevel that splits); merges as "a b" strings or as pairs.
    /// </summary>
    public JsonObject ToJson(bool qwenStyle = true, bool mergesAsPairs = false)
    {
        var vocab = new JsonObject();
        foreach ((string token, int id) in Vocab)
        {
            vocab[token] = id;
        }
        var merges = new JsonArray(Merges
            .Select(m => mergesAsPairs ? (JsonNode)new JsonArray(m.Left, m.Right) : JsonValue.Create($"{m.Left} {m.Right}"))
            .ToArray());
        var added = new JsonArray(AddedTokens
            .Select((t, i) => (JsonNode)new JsonObject
            {
                ["id"] = FirstAddedId + i,
                ["content"] = t.Content,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = t.Special,
            })
            .ToArray());
        JsonNode preTokenizer = qwenStyle
            ? new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = QwenPattern },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            }
            : new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = qwenStyle ? new JsonObject { ["type"] = "NFC" } : null,
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = merges,
            },
        };
    }
}
