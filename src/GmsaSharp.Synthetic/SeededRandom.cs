namespace GmsaSharp.Synthetic;

/// <summary>
/// A small SplitMix64 generator. <see cref="Random"/> does not promise the same sequence across .NET
/// versions, and the corpus must be byte-identical for a seed wherever it is rebuilt.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _state;

    public SeededRandom(ulong seed) => _state = seed;

    /// <summary>
    /// A generator for one purpose (a split, a document index) of a run seeded with <paramref name="seed"/>, so
    /// that changing how much one part draws leaves the other parts unchanged.
    /// </summary>
    public static SeededRandom For(int seed, string purpose, int index = 0)
    {
        // FNV-1a over the purpose; string.GetHashCode is randomized per process.
        ulong hash = 14695981039346656037UL;
        foreach (char c in purpose)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        ulong mixed = Mix((ulong)(uint)seed ^ Mix(hash ^ Mix((ulong)(uint)index)));
        return new SeededRandom(mixed);
    }

    /// <summary>A seed for one part (a split) of a run, unrelated to the seeds of the other parts.</summary>
    public static int DeriveSeed(int seed, string purpose) => (int)For(seed, purpose).NextUInt64();

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A value in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        // The high half of a 64x64 product: uniform up to a bias of 2^-64 per value, without a modulo.
        return (int)Math.BigMul(NextUInt64(), (ulong)maxExclusive, out _);
    }

    /// <summary>A value in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int NextInclusive(int min, int max) => min + Next(max - min + 1);

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher-Yates).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
