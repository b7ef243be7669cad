namespace GmsaSharp.Extensions.AI;

/// <summary>Settings of a <see cref="GmsaChatClient"/>.</summary>
public sealed class GmsaChatClientOptions
{
    /// <summary>The compression rate when a request names none (<see cref="GmsaChatOptionKeys.Rate"/>); null: the
    /// smallest rate the checkpoint was trained on, or 4 for a checkpoint that records none.</summary>
    public int? Rate { get; set; }

    /// <summary>How many compressed documents to keep; the least recently used one goes first.</summary>
    public int CacheCapacity { get; set; } = 8;

    /// <summary>The model id the client reports in its metadata and responses.</summary>
    public string ModelId { get; set; } = "gmsa";

    /// <summary>Checks every setting and names the first bad one.</summary>
    public void Validate()
    {
        if (Rate < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Rate), Rate, "GmsaChatClientOptions.Rate must be at least 1.");
        }
        if (CacheCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CacheCapacity), CacheCapacity, "GmsaChatClientOptions.CacheCapacity must be at least 1.");
        }
        if (string.IsNullOrWhiteSpace(ModelId))
        {
            throw new ArgumentException("GmsaChatClientOptions.ModelId must not be empty.", nameof(ModelId));
        }
    }
}
