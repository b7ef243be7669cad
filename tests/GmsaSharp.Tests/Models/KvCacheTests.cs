using GmsaSharp.Models;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>The KV-cache protocol (every layer appends once per pass, then one Advance) is checked as it runs.</summary>
public class KvCacheTests
{
    [Fact]
    public void AdvanceBeforeEveryLayerAppendedIsReported()
    {
        using var cache = new KvCache(layers: 2);
        using var scope = NewDisposeScope();
        cache.Append(0, zeros(1, 1, 3, 4), zeros(1, 1, 3, 4));

        var error = Assert.Throws<InvalidOperationException>(() => cache.Advance(3, newMask: null));

        Assert.Contains("before layer 1 appended", error.Message);
        Assert.Equal(0, cache.Length);
    }

    [Fact]
    public void ALayerAppendedTwiceInOnePassIsReported()
    {
        using var cache = new KvCache(layers: 2);
        using var scope = NewDisposeScope();
        cache.Append(0, zeros(1, 1, 3, 4), zeros(1, 1, 3, 4));

        var error = Assert.Throws<InvalidOperationException>(() => cache.Append(0, zeros(1, 1, 3, 4), zeros(1, 1, 3, 4)));

        Assert.Contains("Layer 0 appended twice", error.Message);
    }

    [Fact]
    public void ALayerTheCacheDoesNotServeIsReported()
    {
        using var cache = new KvCache(layers: 2);
        using var scope = NewDisposeScope();

        var error = Assert.Throws<InvalidOperationException>(() => cache.Append(2, zeros(1, 1, 3, 4), zeros(1, 1, 3, 4)));

        Assert.Contains("Layer 2 appended", error.Message);
    }

    [Fact]
    public void EveryLayerAppendingOnceThenAdvancingRepeatsPassAfterPass()
    {
        using var cache = new KvCache(layers: 2);
        using var scope = NewDisposeScope();
        for (int pass = 0; pass < 3; pass++)
        {
            cache.Append(0, full(1, 1, 2, 4, pass), full(1, 1, 2, 4, pass));
            cache.Append(1, full(1, 1, 2, 4, pass), full(1, 1, 2, 4, pass));
            cache.Advance(2, newMask: null);
        }

        Assert.Equal(6, cache.Length);
    }

    [Fact]
    public void APassThatRunsFewerBlocksThanTheCacheServesIsRefused()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 3);
        using KvCache cache = lm.NewCache();
        using var scope = NewDisposeScope();
        Tensor embeddings = lm.Embed(SmallDecoder.Ids(5, 17, 33));

        var error = Assert.Throws<ArgumentException>(() => lm.Decoder.Forward(embeddings, padding: null, positionIds: null, cache, adapters: null, blockCount: 1));

        Assert.Contains("a pass with a cache runs all its blocks", error.Message);
        Assert.Equal(0, cache.Length);
    }

    [Fact]
    public void AReservedCacheHoldsThatManyPositionsWithoutGrowing()
    {
        using var cache = new KvCache(layers: 1);
        using var scope = NewDisposeScope();
        cache.Reserve(10);
        cache.Append(0, full(1, 1, 3, 4, 1f), full(1, 1, 3, 4, 2f));
        cache.Advance(3, newMask: null);
        Tensor storage = cache.Storage(0).Keys!;
        for (int step = 0; step < 7; step++)
        {
            cache.Append(0, full(1, 1, 1, 4, 3f + step), full(1, 1, 1, 4, 3f + step));
            cache.Advance(1, newMask: null);
        }

        Assert.Same(storage, cache.Storage(0).Keys);
        Assert.Equal(10, storage.size(2));
        (Tensor keys, Tensor values) = cache.Append(0, full(1, 1, 1, 4, 10f), full(1, 1, 1, 4, 10f));
        Assert.Equal(20, cache.Storage(0).Keys!.size(2)); // past the reservation it doubles
        Assert.Equal(new float[] { 1, 1, 1, 3, 4, 5, 6, 7, 8, 9, 10 }, keys.select(3, 0).flatten().data<float>().ToArray());
        Assert.Equal(2f, values.select(2, 0).select(2, 0).item<float>());
    }
}
