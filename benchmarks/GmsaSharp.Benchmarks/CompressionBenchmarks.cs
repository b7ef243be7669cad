using BenchmarkDotNet.Attributes;
using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using static TorchSharp.torch;

namespace GmsaSharp.Benchmarks;

/// <summary>
/// GMSA against the full prompt on a random Llama of realistic depth (24 blocks, hidden 512, an 8-block
/// encoder, 1 LSA block, 512-token windows): compression alone, compress + answer (32 tokens), a further
/// question on a compressed context (soft-token KV cache reused), and the full prompt (prefill + 32 tokens).
/// Speed-ups are ratios of rows of one run. `gmsa bench` measures the same end to end, faster.
/// </summary>
public class CompressionBenchmarks
{
    private const int AnswerTokens = 32;
    private static readonly GenerationOptions Answer = new() { MaxNewTokens = AnswerTokens, StopAtEos = false };

    private CausalLM _lm = null!;
    private GmsaCompressor _compressor = null!;
    private int[] _context = null!;
    private int[] _question = null!;
    private CompressedContext _compressed = null!;

    [Params(512, 1024, 2048, 4096)]
    public int ContextTokens { get; set; }

    [Params(4, 8, 16)]
    public int Rate { get; set; }

    public static DecoderConfig Llama24 => new()
    {
        Architecture = DecoderArchitecture.Llama,
        VocabSize = 32000,
        HiddenSize = 512,
        IntermediateSize = 1408,
        Layers = 24,
        Heads = 8,
        KvHeads = 8,
        HeadDim = 64,
        MaxPositionEmbeddings = 4096 + 256,
        TieWordEmbeddings = true,
    };

    [GlobalSetup]
    public void Setup()
    {
        var environment = ComputeEnvironment.Select(new ComputeOptions { Device = "cpu" }).Apply();
        _lm = CausalLM.CreateRandom(Llama24, environment, seed: 1);
        _compressor = GmsaCompressor.Create(_lm, new GmsaOptions { EncoderLayers = 8, EncoderLora = new LoraSettings(16, 32, 0, LoraSettings.AllProjections), WindowSize = 512 });
        var random = new Random(2);
        _context = Enumerable.Range(0, ContextTokens).Select(_ => random.Next(Llama24.VocabSize)).ToArray();
        _question = Enumerable.Range(0, 16).Select(_ => random.Next(Llama24.VocabSize)).ToArray();
        _compressed = _compressor.CompressTokens(_context, Rate);
        Drain(_compressor.AnswerTokens(_compressed, _question, Answer));
    }

    [Benchmark]
    public void Compress()
    {
        using CompressedContext compressed = _compressor.CompressTokens(_context, Rate);
    }

    [Benchmark]
    public void CompressAndAnswer()
    {
        using CompressedContext compressed = _compressor.CompressTokens(_context, Rate);
        Drain(_compressor.AnswerTokens(compressed, _question, Answer));
    }

    [Benchmark]
    public void AnswerFromReusedContext() => Drain(_compressor.AnswerTokens(_compressed, _question, Answer));

    [Benchmark(Baseline = true)]
    public void FullPrompt() => Drain(TokenGenerator.Generate(_lm, [.. _context, .. _question], Answer));

    [GlobalCleanup]
    public void Cleanup()
    {
        _compressed.Dispose();
        _compressor.Dispose();
        _lm.Dispose();
    }

    private static void Drain(IEnumerable<int> tokens)
    {
        foreach (int _ in tokens)
        {
        }
    }
}
