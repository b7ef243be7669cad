using GmsaSharp.Compression;

namespace GmsaSharp.Extensions.AI;

/// <summary>A request's hold on a cached compressed document; disposing it lets the cache free the document
/// once it is evicted and no other request holds it.</summary>
internal sealed class ContextLease(ContextCache cache, CachedContext entry) : IDisposable
{
    private int _returned;

    public CompressedContext Context => entry.Context;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _returned, 1) == 0)
        {
            cache.Return(entry);
        }
    }
}
