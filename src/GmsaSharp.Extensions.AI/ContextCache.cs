using System.Security.Cryptography;
using System.Text;
using GmsaSharp.Compression;
using Microsoft.Extensions.Logging;

namespace GmsaSharp.Extensions.AI;

/// <summary>
/// Compressed documents by content hash and rate, least recently used first out. A document that starts with a
/// cached one (a log, a transcript, a prompt that grows) is compressed incrementally from it: only its new text
/// and the cached one's last partial window are encoded.
/// </summary>
internal sealed class ContextCache(GmsaCompressor compressor, int capacity, ILogger logger) : IDisposable
{
    private readonly object _sync = new();
    private readonly LinkedList<CachedContext> _entries = new();
    // One compression at a time: a document asked about by two requests at once is compressed once.
    private readonly SemaphoreSlim _compressing = new(1, 1);
    private bool _disposed;

    /// <summary>The compressed <paramref name="document"/> at <paramref name="rate"/>, from the cache or compressed now.</summary>
    public async Task<ContextLease> RentAsync(string document, int rate, CancellationToken cancellationToken)
    {
        string key = Key(document, rate);
        if (TryRent(key) is { } cached)
        {
            return cached;
        }
        await _compressing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (TryRent(key) is { } compressedMeanwhile)
            {
                return compressedMeanwhile;
            }
            CompressedContext context = await CompressAsync(document, rate, cancellationToken).ConfigureAwait(false);
            var entry = new CachedContext(key, document, rate, context) { Users = 1 };
            List<CachedContext> freed;
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _entries.AddFirst(entry);
                freed = EvictBeyond(capacity);
            }
            freed.ForEach(old => old.Context.Dispose());
            return new ContextLease(this, entry);
        }
        finally
        {
            _compressing.Release();
        }
    }

    /// <summary>Called by a lease: frees an evicted document once its last request is done.</summary>
    public void Return(CachedContext entry)
    {
        bool free;
        lock (_sync)
        {
            entry.Users--;
            free = entry.Evicted && entry.Users == 0;
        }
        if (free)
        {
            entry.Context.Dispose();
        }
    }

    public void Dispose()
    {
        List<CachedContext> freed;
        lock (_sync)
        {
            _disposed = true;
            freed = EvictBeyond(0);
        }
        freed.ForEach(entry => entry.Context.Dispose());
    }

    private async Task<CompressedContext> CompressAsync(string document, int rate, CancellationToken cancellationToken)
    {
        CachedContext? start;
        lock (_sync)
        {
            start = _entries.Where(e => e.Rate == rate && e.Context.CanExtend && document.Length > e.Document.Length
                    && document.StartsWith(e.Document, StringComparison.Ordinal) && !string.IsNullOrWhiteSpace(document[e.Document.Length..]))
                .MaxBy(e => e.Document.Length);
            if (start is not null)
            {
                start.Users++;
            }
        }
        if (start is null)
        {
            CompressedContext context = await compressor.CompressAsync(document, rate, cancellationToken: cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Compressed a document of {SourceTokens} tokens into {SoftTokens} soft tokens at rate {Rate}.",
                context.SourceTokens, context.SoftTokenCount, rate);
            return context;
        }
        try
        {
            CompressedContext extended = await compressor.ExtendAsync(start.Context, document[start.Document.Length..], cancellationToken: cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Extended a compressed document of {PreviousTokens} tokens to {SourceTokens} tokens ({SoftTokens} soft tokens at rate {Rate}) without recompressing it.",
                start.Context.SourceTokens, extended.SourceTokens, extended.SoftTokenCount, rate);
            return extended;
        }
        finally
        {
            Return(start);
        }
    }

    private ContextLease? TryRent(string key)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            LinkedListNode<CachedContext>? node = _entries.First;
            while (node is not null && node.Value.Key != key)
            {
                node = node.Next;
            }
            if (node is null)
            {
                return null;
            }
            _entries.Remove(node);
            _entries.AddFirst(node);
            node.Value.Users++;
            logger.LogDebug("Reusing the compressed document of {SourceTokens} tokens at rate {Rate}.", node.Value.Context.SourceTokens, node.Value.Rate);
            return new ContextLease(this, node.Value);
        }
    }

    // Under _sync: takes the least recently used entries out and returns those no request holds, to dispose.
    private List<CachedContext> EvictBeyond(int count)
    {
        var free = new List<CachedContext>();
        while (_entries.Count > count)
        {
            CachedContext last = _entries.Last!.Value;
            _entries.RemoveLast();
            last.Evicted = true;
            if (last.Users == 0)
            {
                free.Add(last);
            }
        }
        return free;
    }

    private static string Key(string document, int rate) =>
        $"{rate}:{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(document)))}";
}
