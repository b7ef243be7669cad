using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>
/// The TorchSharp decoder, loaded from HF folders the tests write, against the independent plain-C#
/// reference (System.Numerics.Tensors, no TorchSharp): fp32 logits must agree tightly for every
/// architecture and feature (GQA, biases, q/k norms, tied embeddings, llama3 rope, sliding window).
/// </summary>
public sealed class ReferenceAgreementTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-reference-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Presets => new() { "Llama", "LlamaWithBiasesAndLlama3Rope", "Mistral", "Qwen2", "Qwen3" };

    private static TinyDecoderSpec Preset(string name) => name switch
    {
        "Llama" => TinyDecoderSpec.Llama(),
        "LlamaWithBiasesAndLlama3Rope" => TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope(),
        "Mistral" => TinyDecoderSpec.Mistral(),
        "Qwen2" => TinyDecoderSpec.Qwen2(),
        _ => TinyDecoderSpec.Qwen3(),
    };

    private CausalLM Load(TinyCheckpoint checkpoint, int shards = 1)
    {
        string directory = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        checkpoint.WriteTo(directory, shards);
        return CausalLM.FromPretrained(directory, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
    }

    private static int[] TokenIds(int count, int vocab) => Enumerable.Range(0, count).Select(i => (i * 37 + 11) % vocab).ToArray();

    private static void AssertClose(float[,] expected, Tensor actual, double tolerance)
    {
        float[] values = actual.to(ScalarType.Float32).contiguous().data<float>().ToArray();
        int columns = expected.GetLength(1);
        Assert.Equal(expected.Length, values.Length);
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.GetLength(0); i++)
        {
            for (int j = 0; j < columns; j++)
            {
                worst = Math.Max(worst, Math.Abs(expected[i, j] - values[i * columns + j]));
                scale = Math.Max(scale, Math.Abs(expected[i, j]));
            }
        }
        Assert.True(worst <= tolerance * Math.Max(1, scale), $"max |difference| {worst:G4} exceeds {tolerance:G2} x {scale:G4}");
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void LogitsAgreeWithTheReference(string preset)
    {
        TinyDecoderSpec spec = Preset(preset);
        var checkpoint = TinyCheckpoint.Create(spec);
        using CausalLM lm = Load(checkpoint);
        int[] ids = TokenIds(40, spec.VocabSize);

        float[,] expected = new ReferenceDecoder(checkpoint).Logits(ids);
        using var scope = NewDisposeScope();
        Tensor actual = lm.Forward(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0))[0];

        AssertClose(expected, actual, 1e-4);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void CachedDecodingAgreesWithTheReference(string preset)
    {
        TinyDecoderSpec spec = Preset(preset);
        var checkpoint = TinyCheckpoint.Create(spec, seed: 99);
        using CausalLM lm = Load(checkpoint, shards: 3);
        int[] ids = TokenIds(20, spec.VocabSize);

        float[,] expected = new ReferenceDecoder(checkpoint).Logits(ids);
        using var scope = NewDisposeScope();
        using KvCache cache = lm.NewCache();
        var rows = new List<Tensor> { lm.Forward(tensor(ids[..12].Select(i => (long)i).ToArray()).unsqueeze(0), cache: cache)[0] };
        for (int i = 12; i < ids.Length; i++)
        {
            rows.Add(lm.Forward(tensor(new long[] { ids[i] }).unsqueeze(0), cache: cache)[0]);
        }

        AssertClose(expected, cat(rows, 0), 1e-4);
    }

    [Fact]
    public void ExplicitPositionIdsAgreeWithTheReference()
    {
        TinyDecoderSpec spec = TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope();
        var checkpoint = TinyCheckpoint.Create(spec, seed: 5);
        using CausalLM lm = Load(checkpoint);
        int[] ids = TokenIds(10, spec.VocabSize);
        int[] positions = Enumerable.Range(0, 10).Select(i => 50 + 3 * i).ToArray();

        float[,] expected = new ReferenceDecoder(checkpoint).Logits(ids, positions);
        using var scope = NewDisposeScope();
        Tensor actual = lm.Forward(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0),
            positionIds: tensor(positions.Select(p => (long)p).ToArray()).unsqueeze(0))[0];

        AssertClose(expected, actual, 1e-4);
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void HalfPrecisionCheckpointsLoadExactlyAndAgree(ScalarType stored)
    {
        TinyDecoderSpec spec = TinyDecoderSpec.Qwen3();
        var checkpoint = TinyCheckpoint.Create(spec, seed: 8, storedDType: stored);
        using CausalLM lm = Load(checkpoint);
        int[] ids = TokenIds(16, spec.VocabSize);

        float[,] expected = new ReferenceDecoder(checkpoint).Logits(ids);
        using var scope = NewDisposeScope();
        Tensor actual = lm.Forward(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0))[0];

        AssertClose(expected, actual, 1e-4);
    }

    [Fact]
    public void AFirstLayersEncoderAgreesWithTheReference()
    {
        TinyDecoderSpec spec = TinyDecoderSpec.Qwen3();
        var checkpoint = TinyCheckpoint.Create(spec, seed: 6);
        using CausalLM lm = Load(checkpoint);
        int[] ids = TokenIds(12, spec.VocabSize);
        var reference = new ReferenceDecoder(checkpoint);

        float[,] expected = reference.HiddenStates(reference.Embed(ids), Enumerable.Range(0, 12).ToArray(), layerCount: 1);
        using var scope = NewDisposeScope();
        Tensor embeddings = lm.Embed(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0));
        Tensor actual = lm.Decoder.Forward(embeddings, padding: null, positionIds: null, cache: null, adapters: null, blockCount: 1)[0];

        AssertClose(expected, actual, 1e-4);
    }
}
