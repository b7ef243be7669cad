using System.Text.Json;
using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Compression;

/// <summary>
/// GmsaSharp's compressor against the same computation done with HuggingFace transformers modules in float64,
/// step by step as the reference implementation does it (gmsa-reference.json; generate.py's gmsa()): encoder with
/// merged LoRA, group merging, LSA, then the decoder with merged KEFT LoRA reading [soft tokens][question] as input
/// embeddings. Covers one-window documents and the 7-window sample document. The checkpoints are the frozen copies
/// in TransformersReference/bio-small of pairs once shipped in models/bio-small, so retraining a shipped model does
/// not need transformers. float32 on the CPU, or on the device GMSASHARP_TEST_DEVICE names (tools/gpu).
/// </summary>
public sealed class GmsaTransformersAgreementTests
{
    public static TheoryData<string, int> Cases => new()
    {
        { "gmsa", 0 }, { "gmsa", 1 },
        { "short-docs/gmsa", 0 }, { "short-docs/gmsa", 1 }, { "short-docs/gmsa", 2 }, { "short-docs/gmsa", 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SoftTokensAndAnswersAgreeWithTransformers(string gmsa, int index)
    {
        JsonElement pair = TransformersReference.Read("gmsa-reference.json").GetProperty("pairs").EnumerateArray()
            .Single(p => p.GetProperty("gmsa").GetString() == gmsa);
        JsonElement expected = pair.GetProperty("cases")[index];
        string bio = TransformersReference.FrozenBioSmall;
        string gmsaFolder = Path.Combine(bio, gmsa);
        TransformersReference.AssertSameWeights(Path.Combine(gmsaFolder, GmsaCheckpoint.WeightsFile), pair.GetProperty("weights_sha256"), "gmsa-reference.json");
        using var lm = CausalLM.FromPretrained(Path.Combine(bio, pair.GetProperty("base").GetString()!), TestDevice.Float32);
        using var compressor = GmsaCompressor.FromPretrained(gmsaFolder, lm);

        using CompressedContext context = compressor.Compress(expected.GetProperty("document").GetString()!, expected.GetProperty("rate").GetInt32());

        Assert.Equal(expected.GetProperty("document_tokens").GetInt32(), context.SourceTokens);
        Assert.Equal(expected.GetProperty("soft_tokens").GetInt32(), context.SoftTokenCount);
        int[] rows = TransformersReference.Ints(expected.GetProperty("rows"));
        for (int i = 0; i < rows.Length; i++)
        {
            using var scope = NewDisposeScope();
            float[] actual = context.SoftTokens[rows[i]].to(ScalarType.Float32).cpu().data<float>().ToArray();
            TransformersReference.AssertClose(TransformersReference.Floats(expected.GetProperty("soft_token_rows")[i]), actual, 1e-3, $"soft token {rows[i]}");
        }

        int[] prompt = TransformersReference.Ints(expected.GetProperty("prompt_ids"));
        Assert.Equal(prompt, lm.Tokenizer!.Encode(compressor.Config.Prompts.QuestionPrompt(expected.GetProperty("question").GetString()!), addBos: false));
        JsonElement generation = expected.GetProperty("generation");
        int[] answer = TransformersReference.Ints(generation.GetProperty("tokens"));
        var options = new GenerationOptions
        {
            MaxNewTokens = answer.Length,
            RepetitionPenalty = generation.GetProperty("repetition_penalty").GetDouble(),
            StopAtEos = false,
        };
        Assert.Equal(answer, compressor.AnswerTokens(context, prompt, options).ToArray());
        Assert.Equal(expected.GetProperty("answer").GetString(), lm.Tokenizer.Decode(answer));
    }
}
