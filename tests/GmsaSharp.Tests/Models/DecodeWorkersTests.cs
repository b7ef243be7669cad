using GmsaSharp.Models;

namespace GmsaSharp.Tests.Models;

/// <summary>The decoding loops' workers run every part of a call exactly once, from any number of callers at once,
/// and pass a part's exception to the caller.</summary>
public sealed class DecodeWorkersTests
{
    [Fact]
    public void EveryPartRunsExactlyOnceAcrossManyCallsOfDifferentSizes()
    {
        for (int call = 0; call < 2000; call++)
        {
            int parts = 1 + call % 4;
            var runs = new int[parts];
            DecodeWorkers.Run(parts, part => Interlocked.Increment(ref runs[part]));
            Assert.All(runs, count => Assert.Equal(1, count));
        }
    }

    [Fact]
    public void ConcurrentCallersEachGetAllTheirParts()
    {
        const int callers = 4, calls = 500, parts = 3;
        var totals = new int[callers];
        Parallel.For(0, callers, new ParallelOptions { MaxDegreeOfParallelism = callers }, caller =>
        {
            for (int call = 0; call < calls; call++)
            {
                var runs = new int[parts];
                DecodeWorkers.Run(parts, part => Interlocked.Increment(ref runs[part]));
                totals[caller] += runs.Sum();
                Assert.All(runs, count => Assert.Equal(1, count));
            }
        });
        Assert.All(totals, total => Assert.Equal(calls * parts, total));
    }

    [Fact]
    public void AnExceptionInAWorkersPartReachesTheCallerAndTheWorkersCarryOn()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            DecodeWorkers.Run(2, part => { if (part == 1) { throw new InvalidOperationException("part 1 failed"); } }));
        Assert.Equal("part 1 failed", error.Message);

        var runs = new int[2];
        DecodeWorkers.Run(2, part => Interlocked.Increment(ref runs[part]));
        Assert.Equal([1, 1], runs);
    }

    [Fact]
    public void AnExceptionInTheCallersOwnPartWaitsForTheWorkersFirst()
    {
        int workerFinished = 0;
        Assert.Throws<InvalidOperationException>(() => DecodeWorkers.Run(2, part =>
        {
            if (part == 0)
            {
                throw new InvalidOperationException("part 0 failed");
            }
            Thread.Sleep(50);
            Volatile.Write(ref workerFinished, 1);
        }));

        Assert.Equal(1, Volatile.Read(ref workerFinished));
    }
}
