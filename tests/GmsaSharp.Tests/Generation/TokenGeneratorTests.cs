using GmsaSharp.Evaluation;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Tests.Models;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Generation;

public class TokenGeneratorTests
{
    [Fact]
    public void GreedyGenerationWithTheCacheEqualsRepeatedFullForwards()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config() with { EosTokenIds = [] }, SmallDecoder.Fp32, seed: 21);
        int[] prompt = [5, 6, 7];

        int[] generated = TokenGenerator.Generate(lm, prompt, new GenerationOptions { MaxNewTokens = 8 }).ToArray();

        var sequence = prompt.ToList();
        for (int i = 0; i < 8; i++)
        {
            using var scope = NewDisposeScope();
            Tensor logits = lm.Forward(tensor(sequence.Select(id => (long)id).ToArray()).unsqueeze(0));
            sequence.Add((int)logits[0, -1].argmax().item<long>());
        }
        Assert.Equal(sequence.Skip(3).ToArray(), generated);
    }

    /// <summary>Decoding runs in inference mode, whose tensors cannot be written in place outside it. The cache it
    /// grew must still serve later passes in ordinary modes (extending a compressed context, training on answers),
    /// with the same numbers as a cache that never saw inference mode.</summary>
    [Fact]
    public void ACacheGrownWhileDecodingServesLaterOrdinaryPasses()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config() with { EosTokenIds = [] }, SmallDecoder.Fp32, seed: 22);
        using KvCache cache = lm.NewCache();
        var options = new GenerationOptions { MaxNewTokens = 4, StopAtEos = false };
        int[] generated = TokenGenerator.Decode(lm, cache, [5, 6, 7], history: [5, 6, 7], options, adapters: null, CancellationToken.None).ToArray();
        long[] more = [9, 10, 11];

        using var scope = NewDisposeScope();
        Tensor afterDecoding;
        using (no_grad())
        {
            afterDecoding = lm.Forward(tensor(more).unsqueeze(0), cache: cache);
        }
        // With gradients on, as training reads a cache: the appends write into the cache's storage again.
        Tensor withGradients = lm.Forward(tensor(new long[] { 12 }).unsqueeze(0), cache: cache);

        long[] everything = [5, 6, 7, .. generated.Take(3).Select(id => (long)id), .. more, 12];
        Assert.Equal(everything.Length, cache.Length);
        using var noGrad = no_grad();
        Tensor full = lm.Forward(tensor(everything).unsqueeze(0));
        Assert.True(full.narrow(1, 6, 3).allclose(afterDecoding, rtol: 1e-4, atol: 1e-5));
        Assert.True(full.narrow(1, 9, 1).allclose(withGradients, rtol: 1e-4, atol: 1e-5));
    }

    /// <summary>A generation reserves its prompt and token budget before the prompt, so no decoding step copies the
    /// whole cache to grow it (issue 22: ~1 s at 4,096 positions). A budget past ReservedNewTokens reserves that many,
    /// and never more than the model's positions.</summary>
    [Theory]
    [InlineData(4096, 4, 3 + 4)]
    [InlineData(4096, TokenGenerator.ReservedNewTokens + 5, 3 + TokenGenerator.ReservedNewTokens)]
    [InlineData(16, 100, 16)]
    public void DecodingReservesThePromptAndTheAnswerUpFront(int positions, int maxNewTokens, long expectedCapacity)
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config() with { EosTokenIds = [], MaxPositionEmbeddings = positions }, SmallDecoder.Fp32, seed: 22);
        using KvCache cache = lm.NewCache();
        var options = new GenerationOptions { MaxNewTokens = maxNewTokens, StopAtEos = false };

        TokenGenerator.Decode(lm, cache, [5, 6, 7], history: [5, 6, 7], options, adapters: null, CancellationToken.None).Take(4).ToArray();

        Assert.Equal(3 + 3, cache.Length); // the fourth token is yielded, never fed back
        Assert.Equal(expectedCapacity, cache.Storage(0).Keys!.size(2));
    }

    [Fact]
    public void StopsAtEosWithoutEmittingIt()
    {
        using var probe = CausalLM.CreateRandom(SmallDecoder.Config() with { EosTokenIds = [] }, SmallDecoder.Fp32, seed: 22);
        int[] free = TokenGenerator.Generate(probe, [1, 2], new GenerationOptions { MaxNewTokens = 5 }).ToArray();
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config() with { EosTokenIds = [free[2]] }, SmallDecoder.Fp32, seed: 22);

        int[] stopped = TokenGenerator.Generate(lm, [1, 2], new GenerationOptions { MaxNewTokens = 5 }).ToArray();

        Assert.Equal(free.TakeWhile(id => id != free[2]).ToArray(), stopped);
    }

    [Fact]
    public void HonoursMaxNewTokensAndCancellation()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config() with { EosTokenIds = [] }, SmallDecoder.Fp32, seed: 23);

        Assert.Equal(4, TokenGenerator.Generate(lm, [1], new GenerationOptions { MaxNewTokens = 4 }).Count());
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => TokenGenerator.Generate(lm, [1], new GenerationOptions(), cancelled.Token).ToArray());
    }

    [Fact]
    public void PerplexityIsTheExponentialOfTheMeanNll()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 24);
        int[] ids = [3, 1, 4, 1, 5, 9, 2, 6];

        Perplexity result = Perplexity.Compute(lm, ids);

        using var scope = NewDisposeScope();
        Tensor logProbabilities = lm.Forward(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0))[0].log_softmax(-1);
        double expected = -Enumerable.Range(0, 7).Average(i => logProbabilities[i, ids[i + 1]].item<float>());
        Assert.Equal(7, result.PredictedTokens);
        Assert.Equal(expected, result.Nll, 4);
        Assert.Equal(Math.Exp(expected), result.Value, 3);
        // A random model is close to uniform over the 97-token vocabulary.
        Assert.InRange(result.Value, 60, 140);
    }
}
