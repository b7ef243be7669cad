using GmsaSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Generation;

/// <summary>Turns next-token logits into a token: repetition penalty, temperature, top-k, top-p, then
/// argmax (temperature 0) or a seeded draw.</summary>
internal sealed class TokenSampler : IDisposable
{
    private readonly GenerationOptions _options;
    private readonly Generator? _generator;

    /// <summary>A sampler for <paramref name="options"/> (validated here).</summary>
    public TokenSampler(GenerationOptions options)
    {
        options.Validate();
        _options = options;
        if (options.Temperature > 0)
        {
            _generator = new Generator((ulong)(options.Seed ?? DateTime.UtcNow.Ticks));
        }
    }

    /// <summary>Picks the next token from logits [vocab] given every token so far (prompt and generated).</summary>
    public int Next(Tensor logits, IReadOnlyCollection<int> history)
    {
        using var scope = NewDisposeScope();
        Tensor scores = logits.to(ScalarType.Float32).cpu().flatten().clone();
        if (_options.RepetitionPenalty != 1.0 && history.Count > 0)
        {
            scores = ApplyRepetitionPenalty(scores, history, _options.RepetitionPenalty);
        }
        // argmax picks a NaN when there is one, so checking the winner's value catches NaN and infinite logits
        // at the cost of one scalar per token instead of a pass over the vocabulary.
        long best = scores.argmax().item<long>();
        if (!float.IsFinite(scores[best].item<float>()))
        {
            throw new InvalidOperationException(
                "The model produced NaN or infinite logits: its weights or input embeddings hold NaN/infinity, or its dtype overflowed (float16 ends at 65504: try bfloat16 or float32).");
        }
        if (_generator is null)
        {
            return (int)best;
        }
        using Scalar temperature = _options.Temperature.ToScalar(), excluded = float.NegativeInfinity.ToScalar();
        scores = scores / temperature;
        if (_options.TopK > 0 && _options.TopK < scores.shape[0])
        {
            Tensor kth = scores.topk(_options.TopK).values[^1];
            scores = scores.masked_fill(scores < kth, excluded);
        }
        if (_options.TopP < 1.0)
        {
            scores = KeepTopP(scores, _options.TopP);
        }
        Tensor probabilities = scores.softmax(0);
        return (int)multinomial(probabilities, 1, generator: _generator).item<long>();
    }

    /// <summary>HF's repetition penalty: each distinct earlier token's logit is divided by the penalty when
    /// positive and multiplied by it when negative, making repeats less likely for penalty &gt; 1.</summary>
    public static Tensor ApplyRepetitionPenalty(Tensor scores, IEnumerable<int> history, double penalty)
    {
        using var scope = NewDisposeScope();
        Tensor index = tensor(history.Distinct().Select(id => (long)id).ToArray(), dtype: ScalarType.Int64, device: scores.device);
        Tensor seen = scores.gather(0, index);
        using Scalar zero = 0.ToScalar(), factor = penalty.ToScalar();
        Tensor penalised = where(seen < zero, seen * factor, seen / factor);
        return scores.scatter(0, index, penalised).MoveToOuterDisposeScope();
    }

    // Keeps the most likely tokens whose cumulative probability first reaches p (at least one).
    private static Tensor KeepTopP(Tensor scores, double p)
    {
        (Tensor sorted, Tensor order) = scores.sort(descending: true);
        Tensor cumulative = sorted.softmax(0).cumsum(0);
        // A token is dropped when the tokens before it already reach p.
        using Scalar reached = p.ToScalar(), excluded = float.NegativeInfinity.ToScalar();
        Tensor drop = cumulative - sorted.softmax(0) >= reached;
        Tensor dropInOriginalOrder = zeros_like(drop).scatter(0, order, drop);
        return scores.masked_fill(dropInOriginalOrder, excluded);
    }

    /// <inheritdoc/>
    public void Dispose() => _generator?.Dispose();
}
