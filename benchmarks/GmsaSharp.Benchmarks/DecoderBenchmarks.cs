using BenchmarkDotNet.Attributes;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using static TorchSharp.torch;

namespace GmsaSharp.Benchmarks;

/// <summary>
/// Prefill and decode speed of the decoder on a random ~95M-parameter Llama (hidden 768, 10 blocks,
/// 12 heads, 4 KV heads, vocabulary 32000, tied embeddings). Tokens per second = tokens / mean time:
/// prefill processes <see cref="PromptTokens"/> tokens, decode generates <see cref="DecodeSteps"/> tokens
/// one at a time after a cached prompt of that length.
/// </summary>
public class DecoderBenchmarks
{
    public const int DecodeSteps = 16;

    private CausalLM _lm = null!;
    private Tensor _prompt = null!;
    private KvCache _cache = null!;

    [Params(512, 2048)]
    public int PromptTokens { get; set; }

    [Params("float32", "bfloat16")]
    public string DType { get; set; } = "float32";

    public static DecoderConfig Llama100M => new()
    {
        Architecture = DecoderArchitecture.Llama,
        VocabSize = 32000,
        HiddenSize = 768,
        IntermediateSize = 2048,
        Layers = 10,
        Heads = 12,
        KvHeads = 4,
        HeadDim = 64,
        MaxPositionEmbeddings = 4096,
        TieWordEmbeddings = true,
    };

    [GlobalSetup]
    public void Setup()
    {
        var environment = ComputeEnvironment.Select(new ComputeOptions { Device = "cpu", DType = ComputeDTypes.Parse(DType) }).Apply();
        _lm = CausalLM.CreateRandom(Llama100M, environment, seed: 1);
        _prompt = randint(0, Llama100M.VocabSize, [1, PromptTokens], generator: new Generator(2));
        _cache = _lm.NewCache();
        using var noGrad = no_grad();
        _lm.Forward(_prompt, cache: _cache, lastPositionOnly: true).Dispose();
    }

    [Benchmark]
    public void Prefill()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using KvCache cache = _lm.NewCache();
        _lm.Forward(_prompt, cache: cache, lastPositionOnly: true);
    }

    [Benchmark]
    public void Decode()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor next = _prompt.narrow(1, 0, 1);
        for (int i = 0; i < DecodeSteps; i++)
        {
            next = _lm.Forward(next, cache: _cache, lastPositionOnly: true).argmax(-1);
        }
        _cache.Truncate(PromptTokens);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _prompt.Dispose();
        _lm.Dispose();
    }
}
