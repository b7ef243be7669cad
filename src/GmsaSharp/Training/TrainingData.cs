namespace GmsaSharp.Training;

/// <summary>What to do with a sample longer than a stage's limit.</summary>
public enum OverlongPolicy
{
    /// <summary>Split it into consecutive windows within the limit, each its own sample.</summary>
    Window,
    /// <summary>Leave it out (and count it).</summary>
    Reject,
}

/// <summary>How a data set was prepared: nothing is dropped without being counted here.</summary>
/// <param name="Read">Samples read from the file.</param>
/// <param name="Used">Training samples produced (windows count one each).</param>
/// <param name="Windowed">Over-long samples split into windows.</param>
/// <param name="Rejected">Over-long samples left out.</param>
public sealed record DataReport(int Read, int Used, int Windowed, int Rejected)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Read} samples read, {Used} used, {Windowed} windowed, {Rejected} rejected as too long";
}

/// <summary>Deterministic sample order: a fresh shuffle per epoch, drawn from the seed and the epoch alone.</summary>
internal sealed class EpochSampler(int count, long seed)
{
    private readonly Dictionary<long, int[]> _orders = [];

    /// <summary>The sample at position <paramref name="position"/> of the endless shuffled stream.</summary>
    public int At(long position)
    {
        long epoch = position / count;
        if (!_orders.TryGetValue(epoch, out int[]? order))
        {
            order = Enumerable.Range(0, count).ToArray();
            new Random(Mix(seed, epoch)).Shuffle(order);
            _orders.Clear();
            _orders[epoch] = order;
        }
        return order[position % count];
    }

    /// <summary>A stable per-position random number generator (e.g. for drawing a compression rate).</summary>
    public static Random For(long seed, long position) => new(Mix(seed ^ 0x5eed, position));

    // SplitMix64 of the pair: stable across processes (HashCode.Combine is randomised per process).
    private static int Mix(long a, long b)
    {
        ulong z = unchecked((ulong)a * 0x9E3779B97F4A7C15UL + (ulong)b + 0x6A09E667F3BCC909UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }
}
