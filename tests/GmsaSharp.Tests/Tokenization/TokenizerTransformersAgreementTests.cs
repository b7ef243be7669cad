using System.Text.Json;
using GmsaSharp.Checkpoints;
using GmsaSharp.Tests.Support;
using GmsaSharp.Tokenization;

namespace GmsaSharp.Tests.Tokenization;

/// <summary>
/// Our Microsoft.ML.Tokenizers-based loading against HuggingFace tokenizers (byte-level BPE in the Qwen and
/// GPT-2 split styles, added tokens written in text) and sentencepiece (byte fallback), on the same files:
/// the same ids and the same decoded text for ASCII, accents, CJK, emoji, digits, contractions and whitespace.
/// </summary>
public sealed class TokenizerTransformersAgreementTests
{
    [Theory]
    [InlineData("byte-level-qwen")]
    [InlineData("byte-level-gpt2")]
    [InlineData("sentencepiece")]
    public void EncodingAndDecodingAgreeWithTheReferenceLibrary(string name)
    {
        JsonElement reference = TransformersReference.Read(Path.Combine("tokenizers", name, "reference.json"));
        HfTokenizer tokenizer = HfTokenizer.Load(Path.Combine(TransformersReference.Folder, "tokenizers", name));

        foreach (JsonElement item in reference.GetProperty("cases").EnumerateArray())
        {
            string text = item.GetProperty("text").GetString()!;
            int[] ids = TransformersReference.Ints(item.GetProperty("ids"));
            Assert.True(ids.SequenceEqual(tokenizer.Encode(text, addBos: false)),
                $"{name} encodes {JsonSerializer.Serialize(text)} as [{string.Join(", ", tokenizer.Encode(text, addBos: false))}], the reference as [{string.Join(", ", ids)}]");
            Assert.Equal(item.GetProperty("decoded").GetString(), tokenizer.Decode(ids));
        }
    }
}
