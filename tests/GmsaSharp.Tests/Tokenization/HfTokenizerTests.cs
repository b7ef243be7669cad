using System.Text;
using System.Text.Json.Nodes;
using GmsaSharp.Checkpoints;
using GmsaSharp.Tests.Support;
using GmsaSharp.Tokenization;

namespace GmsaSharp.Tests.Tokenization;

public class HfTokenizerTests
{
    private static readonly ByteLevelBpeFixture Bpe = ByteLevelBpeFixture.Train();

    private static readonly string[] SampleTexts =
    [
        "the cat sat on the mat.",
        "Hello, World! 123 + 4567 = 4690",
        "café crème, naïve résumé",
        "日本語のテキスト",
        "emoji 🎉🎉 and 👋🏽 mixed",
        "spaces   between \t\t tabs  ",
        "line one\n\nline two\r\n  indented\n",
        "",
    ];

    public static TheoryData<string> Texts => new(SampleTexts);

    // ---- byte-level BPE (tokenizer.json) ----

    [Theory]
    [MemberData(nameof(Texts))]
    public void ByteLevelRoundTripsText(string text)
    {
        foreach (bool qwenStyle in new[] { true, false })
        {
            using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson(qwenStyle));
            HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

            IReadOnlyList<int> ids = tokenizer.Encode(text);

            Assert.Equal(text, tokenizer.Decode(ids));
            Assert.True(ids.Count <= Encoding.UTF8.GetByteCount(text));
        }
    }

    [Fact]
    public void ByteLevelAppliesTrainedMerges()
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal([Bpe.IdOf("the"), Bpe.IdOf(" cat")], tokenizer.Encode("the cat"));
        Assert.Equal(Path.Combine(folder.Path, "tokenizer.json"), tokenizer.SourcePath);
    }

    [Fact]
    public void SplitPatternComesFromTheFile()
    {
        // The corpus makes "2024" one token; Qwen's pattern splits digits one by one, GPT-2's keeps a run.
        using var qwen = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson(qwenStyle: true));
        using var gpt2 = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson(qwenStyle: false));

        Assert.Equal(4, HfTokenizer.Load(qwen.Path).Encode("2024").Count);
        Assert.Equal([Bpe.IdOf(" 2024")], HfTokenizer.Load(gpt2.Path).Encode(" 2024"));
    }

    [Fact]
    public void BothMergeFormatsGiveTheSameIds()
    {
        using var strings = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson(mergesAsPairs: false));
        using var pairs = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson(mergesAsPairs: true));
        string text = string.Concat(SampleTexts);

        IReadOnlyList<int> expected = HfTokenizer.Load(strings.Path).Encode(text);

        Assert.Equal(expected, HfTokenizer.Load(pairs.Path).Encode(text));
        Assert.True(expected.Count < Encoding.UTF8.GetByteCount(text));
    }

    [Fact]
    public void AddedTokensEncodeAsSingleIdsAndDecodeBack()
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);
        const string text = "<|im_start|>user\nthe cat<think><|im_end|><|endoftext|>";

        IReadOnlyList<int> ids = tokenizer.Encode(text);

        Assert.Equal(Bpe.AddedId("<|im_start|>"), ids[0]);
        Assert.Equal([Bpe.AddedId("<think>"), Bpe.AddedId("<|im_end|>"), Bpe.AddedId("<|endoftext|>")], ids.TakeLast(3));
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal("user\nthe cat<think>", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal(Bpe.FirstAddedId + ByteLevelBpeFixture.AddedTokens.Length, tokenizer.VocabularySize);
        Assert.Equal(ids.Count, tokenizer.CountTokens(text));
    }

    [Fact]
    public void DecodeJoinsAUtf8CharacterSplitAcrossTokens()
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);
        int[] bytesOfSmile = Encoding.UTF8.GetBytes("😀").Select(b => (int)b).ToArray();

        Assert.Equal("😀", tokenizer.Decode(bytesOfSmile));
        Assert.Equal("\uFFFD", tokenizer.Decode(bytesOfSmile[..2]));
    }

    [Fact]
    public void NfcNormalizerComposesCharacters()
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal(tokenizer.Encode("café"), tokenizer.Encode("cafe\u0301"));
    }

    [Fact]
    public void IgnoreMergesTakesWholeVocabularyEntries()
    {
        // "zzz" is in the vocabulary but no merge builds it.
        JsonObject json = Bpe.ToJson();
        int zzz = Bpe.FirstAddedId + ByteLevelBpeFixture.AddedTokens.Length;
        json["model"]!["vocab"]!["zzz"] = zzz;
        using var withMerges = new TempModelFolder().Write("tokenizer.json", json);
        json["model"]!["ignore_merges"] = true;
        using var ignoring = new TempModelFolder().Write("tokenizer.json", json);

        Assert.Equal(3, HfTokenizer.Load(withMerges.Path).Encode("zzz").Count);
        Assert.Equal([zzz], HfTokenizer.Load(ignoring.Path).Encode("zzz"));
    }

    [Fact]
    public void DecodeRejectsIdsOutsideTheVocabulary()
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([5, tokenizer.VocabularySize]));
        Assert.Contains($"{tokenizer.VocabularySize}", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.CreateStreamingDecoder().Push(-1));
    }

    [Fact]
    public void ByteLevelAlphabetMatchesGpt2()
    {
        Assert.Equal('Ġ', ByteLevelAlphabet.Symbol((byte)' '));
        Assert.Equal('Ċ', ByteLevelAlphabet.Symbol((byte)'\n'));
        Assert.Equal('A', ByteLevelAlphabet.Symbol((byte)'A'));
        Assert.Equal("Ã©", ByteLevelAlphabet.ToSymbols("é"));
    }

    // ---- SentencePiece (tokenizer.model) ----

    [Theory]
    [MemberData(nameof(Texts))]
    public void SentencePieceRoundTripsText(string text)
    {
        using var folder = new TempModelFolder().Write("tokenizer.model", SentencePieceFixture.Build());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        IReadOnlyList<int> ids = tokenizer.Encode(text);

        Assert.Equal(SentencePieceFixture.BosId, ids[0]);
        Assert.Equal(text, tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("<s>" + (text.Length > 0 ? " " : "") + text, tokenizer.Decode(ids));
    }

    [Fact]
    public void SentencePieceUsesItsPiecesAndByteFallback()
    {
        using var folder = new TempModelFolder().Write("tokenizer.model", SentencePieceFixture.Build());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal(
            [SentencePieceFixture.BosId, SentencePieceFixture.PieceId("▁Hello"), SentencePieceFixture.PieceId("▁world")],
            tokenizer.Encode("Hello world"));
        int[] bytesOfNi = Encoding.UTF8.GetBytes("日").Select(b => SentencePieceFixture.FirstByteId + b).ToArray();
        Assert.Equal(bytesOfNi, tokenizer.Encode("日", addBos: false).Skip(1));
        Assert.Equal(SentencePieceFixture.PieceCount, tokenizer.VocabularySize);
    }

    [Fact]
    public void SentencePieceControlTokensInTextAreSingleIds()
    {
        using var folder = new TempModelFolder().Write("tokenizer.model", SentencePieceFixture.Build());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        IReadOnlyList<int> ids = tokenizer.Encode("Hello</s>", addBos: false);

        Assert.Equal(SentencePieceFixture.EosId, ids[^1]);
        Assert.Equal(1, ids.Count(id => id == SentencePieceFixture.EosId));
        Assert.Equal("Hello</s>", tokenizer.Decode(ids));
    }

    [Fact]
    public void SentencePieceWithoutConfigUsesItsOwnBosAndEos()
    {
        using var folder = new TempModelFolder().Write("tokenizer.model", SentencePieceFixture.Build());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal(SentencePieceFixture.BosId, tokenizer.BosId);
        Assert.Equal([SentencePieceFixture.EosId], tokenizer.EosIds);
        Assert.True(tokenizer.AddBos);
        Assert.Equal(tokenizer.Encode("cat").Count, tokenizer.CountTokens("cat"));
    }

    [Fact]
    public void SentencePieceIsUsedWhenTokenizerJsonIsNotByteLevel()
    {
        // Llama-2's tokenizer.json: BPE with a Metaspace pre-tokenizer; its added tokens still count.
        var json = new JsonObject
        {
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = SentencePieceFixture.PieceCount, ["content"] = "<pad>", ["special"] = true }),
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁" },
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = new JsonObject(), ["merges"] = new JsonArray() },
        };
        using var folder = new TempModelFolder().Write("tokenizer.model", SentencePieceFixture.Build()).Write("tokenizer.json", json);
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.EndsWith("tokenizer.model", tokenizer.SourcePath);
        Assert.Equal([SentencePieceFixture.PieceCount], tokenizer.Encode("<pad>", addBos: false));
        Assert.Equal(SentencePieceFixture.PieceCount + 1, tokenizer.VocabularySize);
        Assert.Equal("cat", tokenizer.Decode(tokenizer.Encode("<pad>cat"), skipSpecialTokens: true));
    }

    [Fact]
    public void SentencePieceReadsAddedTokensFromTokenizerConfigWithoutTokenizerJson()
    {
        var config = new JsonObject
        {
            ["added_tokens_decoder"] = new JsonObject { [$"{SentencePieceFixture.PieceCount}"] = new JsonObject { ["content"] = "[INST]", ["special"] = false } },
        };
        using var folder = new TempModelFolder().Write("tokenizer.model", SentencePieceFixture.Build()).Write("tokenizer_config.json", config);
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal([SentencePieceFixture.PieceCount], tokenizer.Encode("[INST]", addBos: false));
        Assert.Equal("[INST]", tokenizer.Decode([SentencePieceFixture.PieceCount], skipSpecialTokens: true));
    }

    [Fact]
    public void ByteLevelTokenizerJsonWinsOverTokenizerModel()
    {
        using var folder = new TempModelFolder().Write("tokenizer.model", SentencePieceFixture.Build()).Write("tokenizer.json", Bpe.ToJson());

        Assert.EndsWith("tokenizer.json", HfTokenizer.Load(folder.Path).SourcePath);
    }

    // ---- streaming ----

    [Fact]
    public void StreamingHoldsBackAnIncompleteCharacter()
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson());
        StreamingDecoder decoder = HfTokenizer.Load(folder.Path).CreateStreamingDecoder();
        byte[] e = Encoding.UTF8.GetBytes("é");

        Assert.Equal("", decoder.Push(e[0]));
        Assert.Equal("é", decoder.Push(e[1]));
        Assert.Equal("", decoder.Push(e[0]));
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    [Fact]
    public void StreamingKeepsSentencePieceSpacesBetweenWords()
    {
        using var folder = new TempModelFolder().Write("tokenizer.model", SentencePieceFixture.Build());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);
        StreamingDecoder decoder = tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);

        string[] pieces = tokenizer.Encode("Hello world the cat").Select(decoder.Push).ToArray();

        Assert.Equal(["", "Hello", " world", " the", " cat"], pieces);
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void StreamingEqualsWholeDecodeOnRandomIds()
    {
        using var bpeFolder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson());
        using var spFolder = new TempModelFolder().Write("tokenizer.model", SentencePieceFixture.Build());
        var random = new Random(1234);
        foreach (HfTokenizer tokenizer in new[] { HfTokenizer.Load(bpeFolder.Path), HfTokenizer.Load(spFolder.Path) })
        {
            // Mostly low ids (single bytes, so UTF-8 characters get split), some merged and special ones.
            for (int sequence = 0; sequence < 300; sequence++)
            {
                int[] ids = Enumerable.Range(0, random.Next(1, 40))
                    .Select(_ => random.Next(4) == 0 ? random.Next(tokenizer.VocabularySize) : random.Next(Math.Min(300, tokenizer.VocabularySize)))
                    .ToArray();
                foreach (bool skip in new[] { false, true })
                {
                    StreamingDecoder decoder = tokenizer.CreateStreamingDecoder(skip);
                    string streamed = string.Concat(ids.Select(decoder.Push)) + decoder.Flush();
                    Assert.Equal(tokenizer.Decode(ids, skip), streamed);
                }
            }
        }
    }

    [Fact]
    public void StreamingEqualsWholeDecodeOnEncodedText()
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);
        string text = string.Concat(SampleTexts);
        StreamingDecoder decoder = tokenizer.CreateStreamingDecoder();

        string streamed = string.Concat(tokenizer.Encode(text).Select(decoder.Push)) + decoder.Flush();

        Assert.Equal(text, streamed);
    }

    // ---- BOS / EOS ----

    [Fact]
    public void TokenizerConfigNamesBosAndEosAsStringOrObject()
    {
        var config = new JsonObject
        {
            ["bos_token"] = "<|im_start|>",
            ["eos_token"] = new JsonObject { ["content"] = "<|im_end|>", ["special"] = true },
            ["add_bos_token"] = true,
        };
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson()).Write("tokenizer_config.json", config);
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal(Bpe.AddedId("<|im_start|>"), tokenizer.BosId);
        Assert.Equal([Bpe.AddedId("<|im_end|>")], tokenizer.EosIds);
        Assert.True(tokenizer.AddBos);
        Assert.Equal(Bpe.AddedId("<|im_start|>"), tokenizer.Encode("the")[0]);
        Assert.Equal([Bpe.IdOf("the")], tokenizer.Encode("the", addBos: false));
        Assert.Equal(2, tokenizer.CountTokens("the"));
    }

    [Fact]
    public void GenerationConfigEosListJoinsTokenizerConfigEos()
    {
        var config = new JsonObject { ["eos_token"] = "<|im_end|>", ["bos_token"] = null };
        var generation = new JsonObject { ["bos_token_id"] = Bpe.AddedId("<|im_start|>"), ["eos_token_id"] = new JsonArray(Bpe.AddedId("<|endoftext|>"), Bpe.AddedId("<|im_end|>")) };
        using var folder = new TempModelFolder()
            .Write("tokenizer.json", Bpe.ToJson())
            .Write("tokenizer_config.json", config)
            .Write("generation_config.json", generation)
            .Write("config.json", new JsonObject { ["bos_token_id"] = 1, ["eos_token_id"] = 2 });
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal(Bpe.AddedId("<|im_start|>"), tokenizer.BosId);
        Assert.Equal([Bpe.AddedId("<|endoftext|>"), Bpe.AddedId("<|im_end|>")], tokenizer.EosIds.Order());
        Assert.False(tokenizer.AddBos);
    }

    [Fact]
    public void ConfigJsonIsTheLastFallback()
    {
        using var folder = new TempModelFolder()
            .Write("tokenizer.json", Bpe.ToJson())
            .Write("generation_config.json", new JsonObject { ["do_sample"] = true })
            .Write("config.json", new JsonObject { ["bos_token_id"] = 7, ["eos_token_id"] = 8 });
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal(7, tokenizer.BosId);
        Assert.Equal([8], tokenizer.EosIds);
    }

    [Fact]
    public void ByteLevelWithoutAnyConfigHasNoBosOrEos()
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson());
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Null(tokenizer.BosId);
        Assert.Empty(tokenizer.EosIds);
        Assert.False(tokenizer.AddBos);
        var error = Assert.Throws<InvalidOperationException>(() => tokenizer.Encode("the", addBos: true));
        Assert.Contains("tokenizer.json", error.Message);
    }

    [Fact]
    public void TemplatePostProcessorWithLeadingSpecialTokenMeansAddBos()
    {
        // Llama-3 writes BOS into its post-processor instead of an add_bos_token flag.
        JsonObject json = Bpe.ToJson();
        json["post_processor"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["processors"] = new JsonArray(
                new JsonObject { ["type"] = "ByteLevel" },
                new JsonObject
                {
                    ["type"] = "TemplateProcessing",
                    ["single"] = new JsonArray(
                        new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<|endoftext|>", ["type_id"] = 0 } },
                        new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                }),
        };
        using var folder = new TempModelFolder().Write("tokenizer.json", json).Write("tokenizer_config.json", new JsonObject { ["bos_token"] = "<|endoftext|>" });
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.True(tokenizer.AddBos);
        Assert.Equal([Bpe.AddedId("<|endoftext|>"), Bpe.IdOf("the")], tokenizer.Encode("the"));
    }

    [Fact]
    public void BosTokenMissingFromTheVocabularyIsAnError()
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson()).Write("tokenizer_config.json", new JsonObject { ["bos_token"] = "<nope>" });

        var error = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(folder.Path));
        Assert.Contains(folder.FilePath("tokenizer_config.json"), error.Message);
        Assert.Contains("<nope>", error.Message);
    }

    [Fact]
    public void AddBosWithoutABosTokenIsAnError()
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson()).Write("tokenizer_config.json", new JsonObject { ["add_bos_token"] = true });

        var error = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(folder.Path));
        Assert.Contains(folder.FilePath("tokenizer_config.json"), error.Message);
        Assert.Contains("add_bos_token", error.Message);
    }

    // ---- finding the files, and errors ----

    [Fact]
    public void FolderWithoutTokenizerFiles()
    {
        using var folder = new TempModelFolder().Write("config.json", new JsonObject());

        Assert.Null(HfTokenizer.TryLoad(folder.Path));
        var error = Assert.Throws<FileNotFoundException>(() => HfTokenizer.Load(folder.Path));
        Assert.Contains(folder.Path, error.Message);
        Assert.Contains("tokenizer.json", error.Message);
        Assert.Contains("tokenizer.model", error.Message);
        Assert.Throws<DirectoryNotFoundException>(() => HfTokenizer.TryLoad(Path.Combine(folder.Path, "missing")));
    }

    [Theory]
    [InlineData("tokenizer.json")]
    [InlineData("tokenizer_config.json")]
    [InlineData("generation_config.json")]
    public void MalformedJsonNamesTheFile(string name)
    {
        using var folder = new TempModelFolder().Write("tokenizer.json", Bpe.ToJson()).Write(name, "{\"model\": [1, 2");

        var error = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(folder.Path));
        Assert.Contains(folder.FilePath(name), error.Message);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Theory]
    [InlineData("Unigram")]
    [InlineData("WordPiece")]
    public void UnsupportedModelTypeSaysWhatIsSupported(string type)
    {
        JsonObject json = Bpe.ToJson();
        json["model"]!["type"] = type;
        using var folder = new TempModelFolder().Write("tokenizer.json", json);

        var error = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(folder.Path));
        Assert.Contains(folder.FilePath("tokenizer.json"), error.Message);
        Assert.Contains($"'{type}'", error.Message);
        Assert.Contains("byte-level BPE", error.Message);
        Assert.Contains("SentencePiece", error.Message);
    }

    [Fact]
    public void BpeWithoutByteLevelNeedsTokenizerModel()
    {
        JsonObject json = Bpe.ToJson();
        json["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace" };
        using var folder = new TempModelFolder().Write("tokenizer.json", json);

        var error = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(folder.Path));
        Assert.Contains(folder.FilePath("tokenizer.json"), error.Message);
        Assert.Contains("tokenizer.model", error.Message);
    }

    public static TheoryData<string, Action<JsonObject>, string> BrokenTokenizerJson => new()
    {
        { "missing vocab", json => json["model"]!.AsObject().Remove("vocab"), "'vocab'" },
        { "missing merges", json => json["model"]!.AsObject().Remove("merges"), "'merges'" },
        { "merge of unknown token", json => json["model"]!["merges"]!.AsArray().Add("t nowhere"), "'nowhere'" },
        { "malformed merge", json => json["model"]!["merges"]!.AsArray().Add("a b c"), "merges[" },
        { "missing byte symbol", json => json["model"]!["vocab"]!.AsObject().Remove("Ġ"), "0x20" },
        { "shared id", json => json["model"]!["vocab"]!["extra"] = 5, "share the id 5" },
        { "unsupported normalizer", json => json["normalizer"] = new JsonObject { ["type"] = "Lowercase" }, "'Lowercase'" },
        { "unsupported pre-tokenizer", json => json["pre_tokenizer"]!["pretokenizers"]!.AsArray().Insert(0, new JsonObject { ["type"] = "Digits" }), "'Digits'" },
        { "unsupported split behavior", json => json["pre_tokenizer"]!["pretokenizers"]![0]!["behavior"] = "Removed", "'Removed'" },
        { "bad split regex", json => json["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"] = "(unclosed", "(unclosed" },
        { "prefix space", json => json["pre_tokenizer"]!["pretokenizers"]![1]!["add_prefix_space"] = true, "add_prefix_space" },
        { "added token without id", json => json["added_tokens"]![0]!.AsObject().Remove("id"), "added_tokens[0]" },
    };

    [Theory]
    [MemberData(nameof(BrokenTokenizerJson))]
    public void BrokenTokenizerJsonNamesTheFileAndTheProblem(string what, Action<JsonObject> breakIt, string expected)
    {
        JsonObject json = Bpe.ToJson();
        breakIt(json);
        using var folder = new TempModelFolder().Write("tokenizer.json", json);

        var error = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(folder.Path));
        Assert.True(error.Message.Contains(folder.FilePath("tokenizer.json")), what);
        Assert.True(error.Message.Contains(expected), $"{what}: {error.Message}");
    }

    [Fact]
    public void GarbageTokenizerModelNamesTheFile()
    {
        using var folder = new TempModelFolder().Write("tokenizer.model", [0xFF, 0xFF, 0xFF, 0x01, 0x02]);

        var error = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(folder.Path));
        Assert.Contains(folder.FilePath("tokenizer.model"), error.Message);
    }

    [Fact]
    public void WhitespaceAsSuffixSentencePieceIsRejected()
    {
        using var folder = new TempModelFolder().Write("tokenizer.model", SentencePieceFixture.Build(treatWhitespaceAsSuffix: true));

        var error = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(folder.Path));
        Assert.Contains(folder.FilePath("tokenizer.model"), error.Message);
        Assert.Contains("suffix", error.Message);
    }
}
