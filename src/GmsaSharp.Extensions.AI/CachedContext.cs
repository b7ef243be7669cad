using GmsaSharp.Compression;

namespace GmsaSharp.Extensions.AI;

/// <summary>One compressed document in a <see cref="ContextCache"/>, with how many requests are using it, so that
/// evicting it never disposes a context under a question.</summary>
internal sealed class CachedContext(string key, string document, int rate, CompressedContext context)
{
    public string Key { get; } = key;

    /// <summary>The document's text, kept to find a cached document that a new one extends.</summary>
    public string Document { get; } = document;

    public int Rate { get; } = rate;

    public CompressedContext Context { get; } = context;

    /// <summary>Requests holding it; changed only under the cache's lock.</summary>
    public int Users { get; set; }

    /// <summary>Out of the cache: disposed once <see cref="Users"/> reaches 0.</summary>
    public bool Evicted { get; set; }
}
