using System.Text.Json;
using System.Text.RegularExpressions;

namespace GmsaSharp.Tokenization;

/// <summary>
/// The pre-tokenizer of a byte-level BPE tokenizer.json: a chain of regex splits, each cutting every piece
/// of the previous one into its matches and the text between them (HuggingFace's <c>Split</c> with
/// behaviour <c>Isolated</c>). Qwen2/3 and Llama-3 write one <c>Split</c> and a <c>ByteLevel</c> that does not
/// split; GPT-2 style files write only a <c>ByteLevel</c>, which splits with GPT-2's regex.
/// </summary>
internal sealed class ByteLevelPreTokenizer
{
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly IReadOnlyList<Regex> _splits;

    private ByteLevelPreTokenizer(IReadOnlyList<Regex> splits) => _splits = splits;

    /// <summary>Whether a tokenizer.json <c>pre_tokenizer</c> is, or holds, a <c>ByteLevel</c>.</summary>
    public static bool IsByteLevel(JsonElement? preTokenizer) => TypeOf(preTokenizer) switch
    {
        "ByteLevel" => true,
        "Sequence" => Steps(preTokenizer!.Value).Any(step => TypeOf(step) == "ByteLevel"),
        _ => false,
    };

    /// <summary>Reads a byte-level <c>pre_tokenizer</c>; any step it cannot reproduce exactly is an error.</summary>
    public static ByteLevelPreTokenizer FromJson(JsonElement preTokenizer, string path)
    {
        IEnumerable<JsonElement> steps = TypeOf(preTokenizer) == "Sequence" ? Steps(preTokenizer) : [preTokenizer];
        var splits = new List<Regex>();
        foreach (JsonElement step in steps)
        {
            switch (TypeOf(step))
            {
                case "Split":
                    splits.Add(ReadSplit(step, path));
                    break;
                case "ByteLevel":
                    if (HfJsonFile.OptionalBool(step, "add_prefix_space", path) == true)
                    {
                        throw HfJsonFile.Invalid(path, "its ByteLevel pre-tokenizer has add_prefix_space true, which is not supported");
                    }
                    if (HfJsonFile.OptionalBool(step, "use_regex", path) ?? true)
                    {
                        splits.Add(CompileRegex(Gpt2Pattern, path));
                    }
                    break;
                default:
                    throw HfJsonFile.Invalid(path, $"its pre-tokenizer step '{TypeOf(step)}' is not supported (supported: Split, ByteLevel, Sequence of them)");
            }
        }
        return new ByteLevelPreTokenizer(splits);
    }

    /// <summary>The pieces of <paramref name="text"/>, in order, covering all of it.</summary>
    public IReadOnlyList<(int Offset, int Length)> Split(string text)
    {
        List<(int Offset, int Length)> pieces = [(0, text.Length)];
        foreach (Regex regex in _splits)
        {
            var next = new List<(int Offset, int Length)>(pieces.Count * 2);
            foreach ((int offset, int length) in pieces)
            {
                Isolate(regex, text, offset, length, next);
            }
            pieces = next;
        }
        return pieces;
    }

    private static void Isolate(Regex regex, string text, int offset, int length, List<(int Offset, int Length)> pieces)
    {
        int end = offset + length;
        int gapStart = offset;
        for (Match match = regex.Match(text, offset, length); match.Success; match = match.NextMatch())
        {
            if (match.Length == 0)
            {
                continue;
            }
            if (match.Index > gapStart)
            {
                pieces.Add((gapStart, match.Index - gapStart));
            }
            pieces.Add((match.Index, match.Length));
            gapStart = match.Index + match.Length;
        }
        if (end > gapStart)
        {
            pieces.Add((gapStart, end - gapStart));
        }
    }

    private static Regex ReadSplit(JsonElement split, string path)
    {
        string behavior = HfJsonFile.Optional(split, "behavior")?.GetString() ?? "";
        bool invert = HfJsonFile.OptionalBool(split, "invert", path) ?? false;
        if (behavior != "Isolated" || invert)
        {
            throw HfJsonFile.Invalid(path, $"its Split pre-tokenizer has behavior '{behavior}' and invert {invert}; only behavior 'Isolated' without invert is supported");
        }
        JsonElement? pattern = HfJsonFile.Optional(split, "pattern");
        if (HfJsonFile.Optional(pattern ?? default, "Regex") is { ValueKind: JsonValueKind.String } regex)
        {
            return CompileRegex(regex.GetString()!, path);
        }
        if (HfJsonFile.Optional(pattern ?? default, "String") is { ValueKind: JsonValueKind.String } literal)
        {
            return CompileRegex(Regex.Escape(literal.GetString()!), path);
        }
        throw HfJsonFile.Invalid(path, "its Split pre-tokenizer has no 'pattern' with a 'Regex' or 'String'");
    }

    private static Regex CompileRegex(string pattern, string path)
    {
        try
        {
            return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw HfJsonFile.Invalid(path, $"its split pattern '{pattern}' is not a regex .NET can run ({e.Message})");
        }
    }

    private static string? TypeOf(JsonElement? step) =>
        HfJsonFile.Optional(step ?? default, "type") is { ValueKind: JsonValueKind.String } type ? type.GetString() : null;

    private static IEnumerable<JsonElement> Steps(JsonElement sequence) =>
        HfJsonFile.Optional(sequence, "pretokenizers") is { ValueKind: JsonValueKind.Array } steps ? steps.EnumerateArray() : [];
}
