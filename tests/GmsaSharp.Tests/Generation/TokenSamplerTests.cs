using GmsaSharp.Generation;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Generation;

public class TokenSamplerTests
{
    private static Tensor Logits(params float[] values) => tensor(values);

    [Fact]
    public void GreedyPicksTheArgmax()
    {
        using var sampler = new TokenSampler(new GenerationOptions());
        using var logits = Logits(0.1f, 2.5f, -1f, 2.4f);

        Assert.Equal(1, sampler.Next(logits, []));
    }

    [Fact]
    public void RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits()
    {
        using var scope = NewDisposeScope();
        Tensor penalised = TokenSampler.ApplyRepetitionPenalty(Logits(2f, -2f, 3f), [0, 1, 0], 2.0);

        Assert.Equal(new[] { 1f, -4f, 3f }, penalised.data<float>().ToArray());
    }

    [Fact]
    public void RepetitionPenaltyChangesTheGreedyChoice()
    {
        using var sampler = new TokenSampler(new GenerationOptions { RepetitionPenalty = 1.3 });
        using var logits = Logits(2.5f, 2.2f);

        Assert.Equal(1, sampler.Next(logits, [0]));
    }

    [Fact]
    public void SamplingWithASeedIsReproducible()
    {
        var options = new GenerationOptions { Temperature = 1.0, Seed = 42 };
        using var logits = Logits(1f, 1.1f, 0.9f, 1.05f, 0.95f);
        using var first = new TokenSampler(options);
        using var second = new TokenSampler(options);

        int[] a = Enumerable.Range(0, 30).Select(_ => first.Next(logits, [])).ToArray();
        int[] b = Enumerable.Range(0, 30).Select(_ => second.Next(logits, [])).ToArray();

        Assert.Equal(a, b);
        Assert.True(a.Distinct().Count() > 1, "sampling at temperature 1 over near-equal logits should vary");
    }

    [Fact]
    public void TopKOneIsGreedy()
    {
        using var sampler = new TokenSampler(new GenerationOptions { Temperature = 5.0, TopK = 1, Seed = 1 });
        using var logits = Logits(0f, 0.5f, 0.4f);

        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal(1, sampler.Next(logits, [])));
    }

    [Fact]
    public void TopPKeepsOnlyTheNucleus()
    {
        // Probabilities about 0.64, 0.24, 0.09, 0.03: p = 0.8 keeps the first two only.
        using var sampler = new TokenSampler(new GenerationOptions { Temperature = 1.0, TopP = 0.8, Seed = 3 });
        using var logits = Logits(3f, 2f, 1f, 0f);

        int[] drawn = Enumerable.Range(0, 200).Select(_ => sampler.Next(logits, [])).ToArray();

        Assert.Equal(new[] { 0, 1 }, drawn.Distinct().Order().ToArray());
    }

    [Theory]
    [InlineData(-1, 0, 0, 1.0, 1.0)]
    [InlineData(10, -0.5, 0, 1.0, 1.0)]
    [InlineData(10, 0, -2, 1.0, 1.0)]
    [InlineData(10, 0, 0, 0.0, 1.0)]
    [InlineData(10, 0, 0, 1.5, 1.0)]
    [InlineData(10, 0, 0, 1.0, 0.0)]
    public void BadOptionsAreRejected(int maxNewTokens, double temperature, int topK, double topP, double penalty)
    {
        var options = new GenerationOptions { MaxNewTokens = maxNewTokens, Temperature = temperature, TopK = topK, TopP = topP, RepetitionPenalty = penalty };

        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
    }
}
