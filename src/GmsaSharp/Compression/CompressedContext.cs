using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GmsaSharp.Checkpoints;
using GmsaSharp.Models;
using static TorchSharp.torch;

namespace GmsaSharp.Compression;

/// <summary>
/// A document compressed into soft tokens, with what is needed to trust it later: the rate, how many tokens
/// it came from, the window size and the fingerprints of the base model and GMSA checkpoint that made it.
/// Saved as a safetensors file (tensor <c>soft_tokens</c>, metadata strings, and a SHA-256 checksum over both
/// that loading verifies, so a damaged copy is refused instead of answering wrongly). Once a question has been
/// asked, it also holds the decoder's KV cache of its soft tokens, so later questions skip that work.
/// </summary>
public sealed class CompressedContext : IDisposable
{
    private const string Format = "gmsasharp-compressed-context/2";
    // Files written before checksums existed; they still load, unverified.
    private const string UncheckedFormat = "gmsasharp-compressed-context/1";
    private const string ChecksumKey = "checksum";
    private const string TensorName = "soft_tokens";

    internal CompressedContext(Tensor softTokens, int rate, int sourceTokens, int windowSize, string baseFingerprint, string gmsaFingerprint)
    {
        SoftTokens = softTokens;
        Rate = rate;
        SourceTokens = sourceTokens;
        WindowSize = windowSize;
        BaseFingerprint = baseFingerprint;
        GmsaFingerprint = gmsaFingerprint;
    }

    /// <summary>The soft tokens [m, hidden], in the decoder's input-embedding space.</summary>
    public Tensor SoftTokens { get; }

    /// <summary>How many soft tokens.</summary>
    public int SoftTokenCount => (int)SoftTokens.shape[0];

    /// <summary>The compression rate used.</summary>
    public int Rate { get; }

    /// <summary>How many context tokens were compressed.</summary>
    public int SourceTokens { get; }

    /// <summary>The encoder window used.</summary>
    public int WindowSize { get; }

    /// <summary>How many encoder windows the context spanned.</summary>
    public int Windows => (SourceTokens + WindowSize - 1) / WindowSize;

    /// <summary>Fingerprint of the base model that made it.</summary>
    public string BaseFingerprint { get; }

    /// <summary>Fingerprint of the GMSA checkpoint that made it.</summary>
    public string GmsaFingerprint { get; }

    /// <summary>The decoder KV cache of the soft tokens, filled by the first question.</summary>
    internal KvCache? DecoderCache { get; set; }

    /// <summary>Serialises questions on one context: they share its KV cache.</summary>
    internal SemaphoreSlim Lock { get; } = new(1, 1);

    /// <summary>Writes the soft tokens and metadata to <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["rate"] = Rate.ToString(CultureInfo.InvariantCulture),
            ["source_tokens"] = SourceTokens.ToString(CultureInfo.InvariantCulture),
            ["window_size"] = WindowSize.ToString(CultureInfo.InvariantCulture),
            ["base_fingerprint"] = BaseFingerprint,
            ["gmsa_fingerprint"] = GmsaFingerprint,
        };
        metadata[ChecksumKey] = Checksum(metadata, SoftTokens);
        SafetensorsFile.Write(path, [new(TensorName, SoftTokens)], metadata);
    }

    /// <summary>Reads a context written by <see cref="Save"/>; a file that is not one is reported by name.</summary>
    public static CompressedContext Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Compressed context '{path}' does not exist.", path);
        }
        using SafetensorsFile file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("format", out string? format) || format is not (Format or UncheckedFormat) || !file.Entries.ContainsKey(TensorName))
        {
            throw new InvalidDataException($"'{path}' is not a GmsaSharp compressed context (expected format '{Format}' and a '{TensorName}' tensor).");
        }
        int rate = Integer(file, path, "rate"), sourceTokens = Integer(file, path, "source_tokens"), window = Integer(file, path, "window_size");
        Tensor soft = file.Read(TensorName);
        try
        {
            if (format == Format)
            {
                string expected = file.Metadata.GetValueOrDefault(ChecksumKey, "");
                var checkedMetadata = file.Metadata.Where(item => item.Key != ChecksumKey).ToDictionary();
                if (Checksum(checkedMetadata, soft) != expected)
                {
                    throw new InvalidDataException($"Compressed context '{path}' is damaged: its checksum does not match its contents; compress the document again.");
                }
            }
            if (soft.dim() != 2 || soft.shape[0] != (long)SoftTokenCountFor(sourceTokens, window, rate))
            {
                throw new InvalidDataException($"Compressed context '{path}' holds {soft.shape[0]} soft tokens, but {sourceTokens} tokens at rate {rate} in windows of {window} give {SoftTokenCountFor(sourceTokens, window, rate)}.");
            }
            RequireFinite(soft, $"Compressed context '{path}'");
        }
        catch
        {
            soft.Dispose();
            throw;
        }
        return new CompressedContext(soft, rate, sourceTokens, window, file.Metadata.GetValueOrDefault("base_fingerprint", ""), file.Metadata.GetValueOrDefault("gmsa_fingerprint", ""));
    }

    /// <summary>Refuses soft tokens holding NaN or infinity (a damaged model or an overflowing dtype), which would
    /// otherwise give a blank or garbled answer: one reduction per context, not a per-token cost.</summary>
    internal static void RequireFinite(Tensor softTokens, string what)
    {
        using var scope = NewDisposeScope();
        if (!softTokens.isfinite().all().item<bool>())
        {
            throw new InvalidDataException($"{what} holds NaN or infinite soft tokens: the model's weights are damaged or its dtype overflowed (try bfloat16 or float32).");
        }
    }

    // SHA-256 over every metadata entry (in key order) and the soft tokens' bytes as stored.
    private static string Checksum(IReadOnlyDictionary<string, string> metadata, Tensor softTokens)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((string key, string value) in metadata.OrderBy(item => item.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(key + "=" + value + "\n"));
        }
        using var scope = NewDisposeScope();
        hash.AppendData(softTokens.detach().cpu().contiguous().bytes);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The soft-token count of <paramref name="sourceTokens"/> tokens: each window's ceil(length / rate), summed.</summary>
    public static int SoftTokenCountFor(int sourceTokens, int windowSize, int rate)
    {
        int full = sourceTokens / windowSize, rest = sourceTokens % windowSize;
        return full * GroupMerging.Count(windowSize, rate) + (rest > 0 ? GroupMerging.Count(rest, rate) : 0);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        DecoderCache?.Dispose();
        DecoderCache = null;
        SoftTokens.Dispose();
        Lock.Dispose();
    }

    private static int Integer(SafetensorsFile file, string path, string key) =>
        file.Metadata.TryGetValue(key, out string? text) && int.TryParse(text, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new InvalidDataException($"Compressed context '{path}' lacks a valid '{key}' entry.");
}
