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
/// A context made in this process (not loaded from a file) can be extended with more text
/// (<see cref="GmsaCompressor.ExtendAsync"/>).
/// Disposing it while a question is being answered lets that answer finish first; later use throws
/// <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class CompressedContext : IDisposable
{
    private const string Format = "gmsasharp-compressed-context/2";
    // Files written before checksums existed; they still load, unverified.
    private const string UncheckedFormat = "gmsasharp-compressed-context/1";
    private const string ChecksumKey = "checksum";
    private const string TensorName = "soft_tokens";

    // Serialises questions on one context (they share its KV cache), without blocking a thread while waiting.
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Tensor _softTokens;
    private int _disposeRequested;
    private bool _freed;

    internal CompressedContext(Tensor softTokens, int rate, int sourceTokens, int windowSize, string baseFingerprint, string gmsaFingerprint)
    {
        _softTokens = softTokens;
        SoftTokenCount = (int)softTokens.shape[0];
        Rate = rate;
        SourceTokens = sourceTokens;
        WindowSize = windowSize;
        BaseFingerprint = baseFingerprint;
        GmsaFingerprint = gmsaFingerprint;
    }

    /// <summary>The soft tokens [m, hidden], in the decoder's input-embedding space.</summary>
    public Tensor SoftTokens
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _softTokens;
        }
    }

    /// <summary>The soft tokens for a question that holds the context (<see cref="EnterAsync"/>): still alive when
    /// the context was disposed during that question, which frees them only when it exits.</summary>
    internal Tensor HeldSoftTokens => _softTokens;

    /// <summary>How many soft tokens.</summary>
    public int SoftTokenCount { get; }

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

    /// <summary>Whether more text can be appended (<see cref="GmsaCompressor.ExtendAsync"/>): true for a context
    /// compressed in this process, false for one loaded from a file, which keeps only the soft tokens.</summary>
    public bool CanExtend => LsaCache is not null && TailTokens is not null;

    /// <summary>The decoder KV cache of the soft tokens (a prefix of them after an extension), filled by questions.</summary>
    internal KvCache? DecoderCache { get; set; }

    /// <summary>The LSA blocks' KV cache of every soft token, so appended soft tokens attend to the earlier
    /// ones without recomputing them; null for a loaded context.</summary>
    internal KvCache? LsaCache { get; init; }

    /// <summary>The token ids of the last, partial encoder window (empty when the last window is full): an
    /// extension re-encodes them together with the new text; null for a loaded context.</summary>
    internal IReadOnlyList<int>? TailTokens { get; init; }

    private bool IsDisposed => Volatile.Read(ref _disposeRequested) != 0;

    /// <summary>Waits, without blocking a thread, until no other question uses this context.
    /// Every successful call is paired with <see cref="Exit"/>.</summary>
    internal async Task EnterAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfDisposedWhileWaiting();
    }

    /// <summary>The blocking form of <see cref="EnterAsync"/>, for the synchronous token-level API.</summary>
    internal void Enter(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        _lock.Wait(cancellationToken);
        ThrowIfDisposedWhileWaiting();
    }

    /// <summary>Lets the next question in; frees the tensors if the context was disposed meanwhile.</summary>
    internal void Exit()
    {
        _lock.Release();
        // Dispose found the context busy and left freeing to whoever leaves it last.
        if (IsDisposed && _lock.Wait(0))
        {
            Free();
            _lock.Release();
        }
    }

    private void ThrowIfDisposedWhileWaiting()
    {
        if (IsDisposed)
        {
            Exit();
            throw new ObjectDisposedException(nameof(CompressedContext));
        }
    }

    /// <summary>Writes the soft tokens and metadata to <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
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

    /// <summary>Frees the tensors now, or when the question being answered on this context ends.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposeRequested, 1) == 1)
        {
            return;
        }
        if (_lock.Wait(0))
        {
            Free();
            _lock.Release();
        }
    }

    // Runs only while holding the lock, so no question can be reading the tensors.
    private void Free()
    {
        if (_freed)
        {
            return;
        }
        _freed = true;
        DecoderCache?.Dispose();
        DecoderCache = null;
        LsaCache?.Dispose();
        _softTokens.Dispose();
    }

    private static int Integer(SafetensorsFile file, string path, string key) =>
        file.Metadata.TryGetValue(key, out string? text) && int.TryParse(text, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new InvalidDataException($"Compressed context '{path}' lacks a valid '{key}' entry.");
}
