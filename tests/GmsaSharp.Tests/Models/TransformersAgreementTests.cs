using System.Text.Json;
using GmsaSharp.Checkpoints;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using GmsaSharp.Tokenization;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>
/// GmsaSharp's decoder against HuggingFace transformers itself (float64, eager attention; the reference.json
/// files beside the checkpoints): the logits of every architecture and feature, greedy generation with and
/// without the repetition penalty, and the bundled bio-small models on full QA prompts of up to 3,434 tokens,
/// tokenization included. The in-repo plain-C# reference (<see cref="ReferenceAgreementTests"/>) shares our
/// reading of the HF code; this shares nothing with us but the files.
/// </summary>
public sealed class TransformersAgreementTests
{
    public static TheoryData<string> Decoders => new() { "llama", "llama-biases-llama3-rope", "mistral-sliding-window", "qwen2", "qwen3" };

    public static TheoryData<string, int> Generations => new()
    {
        { "llama", 0 }, { "llama", 1 },
        { "llama-biases-llama3-rope", 0 }, { "llama-biases-llama3-rope", 1 },
        { "mistral-sliding-window", 0 }, { "mistral-sliding-window", 1 },
        { "qwen2", 0 }, { "qwen2", 1 },
        { "qwen3", 0 }, { "qwen3", 1 },
    };

    /// <summary>float32 on the CPU, or on the device GMSASHARP_TEST_DEVICE names (tools/gpu runs these on CUDA).</summary>
    private static ComputeOptions Float32 => TestDevice.Float32;

    private static string DecoderFolder(string name) => Path.Combine(TransformersReference.Folder, "decoders", name);

    /// <summary>The logits of <paramref name="ids"/> at each of <paramref name="positions"/>, from one forward.</summary>
    private static float[][] LogitRows(CausalLM lm, int[] ids, int[] positions)
    {
        using var scope = NewDisposeScope();
        Tensor logits = lm.Forward(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0))[0];
        return positions.Select(p => logits[p].to(ScalarType.Float32).cpu().data<float>().ToArray()).ToArray();
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void LogitsAgreeWithTransformers(string name)
    {
        JsonElement reference = TransformersReference.Read(Path.Combine("decoders", name, "reference.json"));
        int[] ids = TransformersReference.Ints(reference.GetProperty("ids"));
        using CausalLM lm = CausalLM.FromPretrained(DecoderFolder(name), Float32);

        using var scope = NewDisposeScope();
        Tensor logits = lm.Forward(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0))[0];
        float[] actual = logits.cpu().contiguous().data<float>().ToArray();
        float[] expected = reference.GetProperty("logits").EnumerateArray().SelectMany(TransformersReference.Floats).ToArray();

        TransformersReference.AssertClose(expected, actual, 1e-4, $"{name} logits over {ids.Length} tokens");
    }

    /// <summary>Greedy decoding through the KV cache; HF's repetition penalty counts the prompt's tokens too.</summary>
    [Theory]
    [MemberData(nameof(Generations))]
    public void GreedyGenerationAgreesWithTransformers(string name, int generation)
    {
        JsonElement reference = TransformersReference.Read(Path.Combine("decoders", name, "reference.json"));
        JsonElement expected = reference.GetProperty("generations")[generation];
        int[] tokens = TransformersReference.Ints(expected.GetProperty("tokens"));
        using CausalLM lm = CausalLM.FromPretrained(DecoderFolder(name), Float32);
        var options = new GenerationOptions
        {
            MaxNewTokens = tokens.Length,
            RepetitionPenalty = expected.GetProperty("repetition_penalty").GetDouble(),
            StopAtEos = false,
        };

        int[] actual = TokenGenerator.Generate(lm, TransformersReference.Ints(reference.GetProperty("prompt")), options).ToArray();

        Assert.Equal(tokens, actual);
    }

    /// <summary>
    /// Trained decoders (bfloat16 weights, computed in float32; frozen copies of bases once shipped in
    /// models/bio-small): the same token ids for the same text, the same logits at the start, middle and end of a
    /// full QA prompt of up to 3,434 tokens, and the same greedy answer.
    /// </summary>
    [Theory]
    [InlineData("base")]
    [InlineData("short-docs/base")]
    public void BundledModelsAgreeWithTransformers(string model)
    {
        JsonElement entry = TransformersReference.Read("bundled-reference.json").GetProperty("models").EnumerateArray()
            .Single(e => e.GetProperty("model").GetString() == model);
        string folder = Path.Combine(TransformersReference.FrozenBioSmall, model);
        TransformersReference.AssertSameWeights(Path.Combine(folder, "model.safetensors"), entry.GetProperty("weights_sha256"), "bundled-reference.json");
        using CausalLM lm = CausalLM.FromPretrained(folder, Float32);
        HfTokenizer tokenizer = lm.Tokenizer!;

        foreach (JsonElement text in entry.GetProperty("texts").EnumerateArray())
        {
            int[] ids = TransformersReference.Ints(text.GetProperty("ids"));
            Assert.Equal(ids, tokenizer.Encode(text.GetProperty("text").GetString()!));
            Assert.Equal(text.GetProperty("decoded").GetString(), tokenizer.Decode(ids));
        }
        foreach (JsonElement prompt in entry.GetProperty("prompts").EnumerateArray())
        {
            int[] ids = TransformersReference.Ints(prompt.GetProperty("ids"));
            Assert.Equal(ids, tokenizer.Encode(prompt.GetProperty("prompt").GetString()!));
            int[] positions = TransformersReference.Ints(prompt.GetProperty("positions"));
            float[][] rows = LogitRows(lm, ids, positions);
            for (int i = 0; i < positions.Length; i++)
            {
                float[] expected = TransformersReference.Floats(prompt.GetProperty("logits")[i]);
                TransformersReference.AssertClose(expected, rows[i], 1e-3, $"{model} logits at position {positions[i]} of {ids.Length}");
            }
            int[] answer = TransformersReference.Ints(prompt.GetProperty("generation").GetProperty("tokens"));
            var options = new GenerationOptions { MaxNewTokens = answer.Length, StopAtEos = false };
            int[] generated = TokenGenerator.Generate(lm, ids, options).ToArray();
            Assert.Equal(answer, generated);
            Assert.Equal(prompt.GetProperty("answer").GetString(), tokenizer.Decode(generated));
        }
    }
}
