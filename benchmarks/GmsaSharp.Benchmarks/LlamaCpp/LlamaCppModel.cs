using LLama;
using LLama.Common;
using LLama.Native;

namespace GmsaSharp.Benchmarks.LlamaCpp;

/// <summary>
/// A GGUF loaded into llama.cpp through LLamaSharp, driven token by token the way GmsaSharp's decoder is:
/// one sequence, a prompt decoded as one batch, then greedy steps. Flash attention is off and the KV cache is
/// f32, so in f32 its logits are comparable to ours to rounding; CPU only.
/// </summary>
public sealed class LlamaCppModel : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();
    private int _position;

    static LlamaCppModel()
    {
        // llama.cpp logs every tensor it loads; keep only its errors so benchmark and test output stays readable.
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error)
            {
                Console.Error.Write(message);
            }
        });
    }

    private LlamaCppModel(LLamaWeights weights, LLamaContext context)
    {
        _weights = weights;
        _context = context;
    }

    /// <summary>The vocabulary size llama.cpp read from the file.</summary>
    public int VocabSize => _context.Vocab.Count;

    /// <summary>Tokens in the cache.</summary>
    public int Position => _position;

    /// <summary>Loads <paramref name="ggufPath"/> with room for <paramref name="contextSize"/> positions, all decoded in one
    /// batch, on <paramref name="threads"/> threads for prompts and single steps alike.</summary>
    public static LlamaCppModel Load(string ggufPath, int contextSize, int threads)
    {
        if (!File.Exists(ggufPath))
        {
            throw new FileNotFoundException($"GGUF file '{ggufPath}' does not exist.", ggufPath);
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(contextSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var parameters = new ModelParams(ggufPath)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)contextSize,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
            FlashAttention = false,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
        };
        LLamaWeights weights = LLamaWeights.LoadFromFile(parameters);
        try
        {
            return new LlamaCppModel(weights, weights.CreateContext(parameters));
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>llama.cpp's tokenization of <paramref name="text"/>, without BOS or special-token parsing.</summary>
    public IReadOnlyList<int> Tokenize(string text) =>
        _context.Tokenize(text, addBos: false, special: false).Select(token => (int)token).ToArray();

    /// <summary>Forgets every cached position.</summary>
    public void Reset()
    {
        _context.NativeHandle.MemoryClear(data: true);
        _position = 0;
    }

    /// <summary>Logits [tokens][vocab] of every position of <paramref name="tokens"/>, from an empty cache.</summary>
    public float[][] AllLogits(IReadOnlyList<int> tokens)
    {
        Reset();
        Decode(tokens, allLogits: true);
        return Enumerable.Range(0, tokens.Count).Select(i => _context.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }

    /// <summary>Decodes <paramref name="tokens"/> after the cached ones, logits for the last only; returns its greedy next token.</summary>
    public int Append(IReadOnlyList<int> tokens)
    {
        Decode(tokens, allLogits: false);
        return ArgMax(_context.NativeHandle.GetLogitsIth(tokens.Count - 1));
    }

    private void Decode(IReadOnlyList<int> tokens, bool allLogits)
    {
        if (tokens.Count == 0)
        {
            throw new ArgumentException("No tokens to decode.", nameof(tokens));
        }
        if (_position + tokens.Count > _context.ContextSize)
        {
            throw new ArgumentException($"{_position} cached + {tokens.Count} new tokens exceed the context of {_context.ContextSize}.", nameof(tokens));
        }
        _batch.Clear();
        for (int i = 0; i < tokens.Count; i++)
        {
            _batch.Add(tokens[i], _position + i, LLamaSeqId.Zero, allLogits || i == tokens.Count - 1);
        }
        DecodeResult result = _context.NativeHandle.Decode(_batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama.cpp could not decode {tokens.Count} tokens at position {_position}: {result}.");
        }
        _position += tokens.Count;
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }
        return best;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
