using GmsaSharp.Checkpoints;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Compression;

/// <summary>
/// A GMSA compressor for one base decoder: the encoder (the base's first k blocks and final norm, shared in
/// memory, plus LoRA), group merging, and the LSA blocks that map merged vectors to soft tokens in the
/// decoder's input space; optionally KEFT adapters on decoder projections (the paper: q/k/v), applied only to calls that read
/// compressed context, so the base model keeps serving plain prompts unchanged.
/// </summary>
#pragma warning disable IDE1006 // field names are state-dict keys
public sealed class GmsaCompressor : nn.Module
{
    /// <summary>Encoder windows encoded in one batch.</summary>
    private const int WindowsPerBatch = 8;

    private readonly LoraAdapters encoder_lora;
    private readonly LayerSemanticAlignment lsa;
    private LoraAdapters? keft_lora;
    // Not module fields: the encoder and the KEFT reader for inference, each with its adapters merged into copies of
    // the blocks they adapt (see MergedBlocks), rebuilt after the adapters change. Built once under the lock:
    // concurrent first compressions or answers must not each build and leak one.
    private MergedBlocks? _mergedEncoder;
    private MergedBlocks? _mergedReader;
    private long _mergedBaseTrainingPeriods;
    private readonly object _mergedLock = new();

    // Not a module field: the base is shared, never part of this module's state dict.
    private readonly BaseModel _base;
    private readonly CompressedAnswering _answering;

    private sealed record BaseModel(CausalLM Lm);

    /// <summary>A compressor for <paramref name="lm"/> shaped by <paramref name="config"/>, its adapters initialised from <paramref name="seed"/>
    /// (<see cref="GmsaCheckpoint.Load"/> then overwrites them).</summary>
    internal GmsaCompressor(CausalLM lm, GmsaConfig config, long seed) : base(nameof(GmsaCompressor))
    {
        config.Validate();
        _base = new BaseModel(lm);
        Config = config;
        encoder_lora = new LoraAdapters(lm.Config, config.EncoderLayers, config.EncoderLora, lm.Device, seed);
        lsa = new LayerSemanticAlignment(lm.Decoder, config.LsaLayers);
        if (config.KeftLora is { } keft)
        {
            keft_lora = new LoraAdapters(lm.Config, lm.Config.Layers, keft, lm.Device, seed + 1);
        }
        RegisterComponents();
        Fingerprint = ComputeFingerprint();
        _answering = new CompressedAnswering(this);
    }

    /// <summary>The base decoder (not owned).</summary>
    public CausalLM Model => _base.Lm;

    /// <summary>The compressor's configuration.</summary>
    public GmsaConfig Config { get; private set; }

    /// <summary>Identity of the current trained weights; compressed contexts record it.</summary>
    public string Fingerprint { get; internal set; }

    /// <summary>The encoder's LoRA adapters.</summary>
    internal LoraAdapters EncoderLora => encoder_lora;

    /// <summary>The LSA module.</summary>
    internal LayerSemanticAlignment Lsa => lsa;

    /// <summary>The KEFT adapters on the decoder's projections (the paper: q/k/v), or null before KEFT.</summary>
    internal LoraAdapters? KeftLora => keft_lora;

    /// <summary>Where usable but doubtful requests are reported (such as a rate the checkpoint was not trained on), as warnings.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>What <see cref="AnswerAsync"/> and <see cref="StreamAnswerAsync"/> use when given no
    /// options: greedy decoding with the checkpoint's stop strings and answer length (see <see cref="GmsaConfig.AnswerOptions"/>).
    /// Start from it to change one thing: <c>gmsa.DefaultAnswerOptions with { Temperature = 0.7 }</c>.</summary>
    public GenerationOptions DefaultAnswerOptions => Config.AnswerOptions();

    /// <summary>A fresh, untrained compressor for <paramref name="lm"/>.</summary>
    public static GmsaCompressor Create(CausalLM lm, GmsaOptions? options = null)
    {
        options ??= new GmsaOptions();
        var config = new GmsaConfig
        {
            BaseArchitecture = lm.Config.ArchitectureName,
            BaseHiddenSize = lm.Config.HiddenSize,
            BaseLayers = lm.Config.Layers,
            BaseVocabSize = lm.Config.VocabSize,
            BaseFingerprint = lm.Fingerprint,
            EncoderLayers = options.EncoderLayers ?? Math.Max(1, lm.Config.Layers / 4),
            EncoderLora = options.EncoderLora,
            LsaLayers = options.LsaLayers,
            WindowSize = options.WindowSize ?? Math.Min(512, lm.Config.MaxPositionEmbeddings),
            AutoencodeInstruction = options.Prompts.AutoencodeInstruction,
            QuestionTemplate = options.Prompts.QuestionTemplate,
            AnswerPrefix = options.Prompts.AnswerPrefix,
            FullPromptTemplate = options.Prompts.FullPromptTemplate == PromptLayout.DefaultFullPromptTemplate ? null : options.Prompts.FullPromptTemplate,
            AnswerStopStrings = options.AnswerStopStrings,
            AnswerMaxNewTokens = options.AnswerMaxNewTokens,
        };
        return new GmsaCompressor(lm, config, options.Seed);
    }

    /// <summary>Loads a GMSA checkpoint folder for <paramref name="lm"/>, which must be the base it was trained on.</summary>
    public static GmsaCompressor FromPretrained(string directory, CausalLM lm) => GmsaCheckpoint.Load(directory, lm, adoptBase: false);

    /// <summary>Loads a GMSA checkpoint folder on a worker thread, reporting every weight tensor loaded.</summary>
    public static Task<GmsaCompressor> FromPretrainedAsync(string directory, CausalLM lm, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => GmsaCheckpoint.Load(directory, lm, adoptBase: false, progress, cancellationToken), cancellationToken);

    /// <summary>
    /// Loads a GMSA checkpoint trained on an earlier version of <paramref name="lm"/> (the same architecture and
    /// shape, different weights: the base was fine-tuned further), so that training can continue from it on
    /// <paramref name="lm"/>. The compressor then records <paramref name="lm"/> as its base. Its soft tokens are
    /// only as good as that continued training makes them: load a checkpoint with <see cref="FromPretrained"/>
    /// for inference.
    /// </summary>
    public static GmsaCompressor FromPretrainedForNewBase(string directory, CausalLM lm) => GmsaCheckpoint.Load(directory, lm, adoptBase: true);

    /// <summary>Writes <c>gmsa_config.json</c> and <c>gmsa.safetensors</c> (trained weights only, never the base's).</summary>
    public void SavePretrained(string directory) => GmsaCheckpoint.Save(this, directory);

    /// <summary>Adds fresh KEFT adapters (LoRA on every decoder block's <see cref="LoraSettings.Targets"/>) for knowledge-extraction fine-tuning.</summary>
    internal void AddKeftAdapters(LoraSettings settings, long seed)
    {
        ForgetMergedReader();
        keft_lora?.Dispose();
        keft_lora = new LoraAdapters(Model.Config, Model.Config.Layers, settings, Model.Device, seed);
        register_module(nameof(keft_lora), keft_lora);
        Config = Config with { KeftLora = settings };
        Fingerprint = ComputeFingerprint();
    }

    /// <summary>Records the rates training used, so inference can warn outside them.</summary>
    internal void RecordTrainedRates(IEnumerable<int> rates)
    {
        Config = Config with { TrainedRates = Config.TrainedRates.Concat(rates).Distinct().Order().ToArray() };
    }

    /// <summary>Recomputes <see cref="Fingerprint"/> after the weights changed (training, saving).</summary>
    internal void RefreshFingerprint()
    {
        // Merged copies are not dropped here: the weights changed only where training did, and entering training
        // dropped them. Saving or loading may refresh a fingerprint while answers on other threads use a copy.
        Fingerprint = ComputeFingerprint();
    }

    /// <inheritdoc/>
    public override void train(bool train = true)
    {
        base.train(train);
        if (train)
        {
            // Training changes the adapters: merged copies made before would be stale. Leaving training (eval) keeps
            // them, so a copy another thread is answering with is never disposed under it.
            ForgetMergedCopies();
        }
    }

    /// <summary>Drops the merged copy of the KEFT reader, for KEFT adapters about to change.</summary>
    internal void ForgetMergedReader()
    {
        lock (_mergedLock)
        {
            _mergedReader?.Dispose();
            _mergedReader = null;
        }
    }

    // Drops both merged copies, for adapters about to change.
    private void ForgetMergedCopies()
    {
        lock (_mergedLock)
        {
            _mergedEncoder?.Dispose();
            _mergedEncoder = null;
        }
        ForgetMergedReader();
    }

    /// <summary>The KEFT adapters as answering reads compressed context with them: merged into copies of the decoder's
    /// blocks where that pays and nothing trains them (<see cref="MergedBlocks"/>), else the adapters themselves; null
    /// before KEFT.</summary>
    internal IProjectionAdapters? ReaderAdapters()
    {
        if (keft_lora is null || training || keft_lora.training || !MergedBlocks.IsWorthwhile(Model.Config, keft_lora.Settings))
        {
            return keft_lora;
        }
        lock (_mergedLock)
        {
            ForgetCopiesOfAnOlderBase();
            return _mergedReader ??= new MergedBlocks(Model.Decoder, keft_lora);
        }
    }

    private MergedBlocks InferenceEncoder()
    {
        lock (_mergedLock)
        {
            ForgetCopiesOfAnOlderBase();
            return _mergedEncoder ??= new MergedBlocks(Model.Decoder, encoder_lora);
        }
    }

    // The copies hold the base's weights too: after the base has trained (a decoder stage on the same model), they
    // are rebuilt from its new weights. Called under the lock.
    private void ForgetCopiesOfAnOlderBase()
    {
        if (Model.TrainingPeriods != _mergedBaseTrainingPeriods)
        {
            ForgetMergedCopies();
            _mergedBaseTrainingPeriods = Model.TrainingPeriods;
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ForgetMergedCopies();
        }
        base.Dispose(disposing);
    }

    /// <summary>Encoder states [batch, L, hidden]: the base's first k blocks with the encoder LoRA, then the final norm.
    /// Differentiable when gradients are enabled; each row is one window read from position 0. For inference, where
    /// merging pays, the LoRA is merged into copies of the k blocks (<see cref="MergedBlocks"/>).</summary>
    internal Tensor Encode(Tensor tokenIds, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        Tensor embeddings = Model.Embed(tokenIds);
        Tensor? padding = mask?.to(Model.Device);
        IProjectionAdapters adapters = !training && !is_grad_enabled() && MergedBlocks.IsWorthwhile(Model.Config, Config.EncoderLora)
            ? InferenceEncoder()
            : encoder_lora;
        return Model.Decoder.Forward(embeddings, padding, positionIds: null, cache: null, adapters, Config.EncoderLayers)
            .MoveToOuterDisposeScope();
    }

    /// <summary>Soft tokens [m, hidden] of one autoencoder context (differentiable): the soft-token core with the
    /// whole context as one window, as the autoencoder stage has always read it (its contexts are bounded by its
    /// own token limit, not by <see cref="GmsaConfig.WindowSize"/>). One context per call, as the stage computes its
    /// micro-batch sample by sample: a padded many-context form would be a second encode/merge/LSA path with no caller.
    /// For one full window the core does exactly what that form did for a row without padding (same ids, no mask,
    /// no-op cut and concatenation), so soft tokens and gradients are bit-identical to it.</summary>
    internal Tensor AutoencoderSoftTokens(IReadOnlyList<int> contextIds, int rate)
    {
        CheckCompressible(contextIds.Count, rate, contextIds.Count);
        using var scope = NewDisposeScope();
        return AlignedWindows(contextIds, rate, window: contextIds.Count, windowsPerBatch: 1, lsaCache: null, windowsDone: null, CancellationToken.None)
            .MoveToOuterDisposeScope();
    }

    /// <summary>Soft tokens [m, hidden] of one context of any length, computed as <see cref="CompressTokens"/> computes
    /// them (windows merged separately, one LSA pass over all) but differentiable, every window in one batch: the
    /// path for training the compressor on answers (KEFT with <c>trainCompressor</c>). Activation memory grows with
    /// the context's length, since every window stays in one autograd graph.</summary>
    internal Tensor TrainingSoftTokens(IReadOnlyList<int> tokenIds, int rate)
    {
        int window = Config.WindowSize;
        CheckCompressible(tokenIds.Count, rate, window);
        using var scope = NewDisposeScope();
        return AlignedWindows(tokenIds, rate, window, windowsPerBatch: int.MaxValue, lsaCache: null, windowsDone: null, CancellationToken.None)
            .MoveToOuterDisposeScope();
    }

    /// <summary>Compresses a document at <paramref name="rate"/> (any integer from 1).</summary>
    public CompressedContext Compress(string document, int rate, IProgress<CompressionProgress>? progress = null, CancellationToken cancellationToken = default, int? windowSize = null) =>
        CompressTokens(DocumentTokens(document, nameof(document)), rate, progress, cancellationToken, windowSize);

    /// <summary>Compresses a document on a worker thread: the caller's thread (a UI, a request) stays free.</summary>
    public Task<CompressedContext> CompressAsync(string document, int rate, IProgress<CompressionProgress>? progress = null, CancellationToken cancellationToken = default, int? windowSize = null) =>
        Task.Run(() => Compress(document, rate, progress, cancellationToken, windowSize), cancellationToken);

    /// <summary>Compresses context token ids: windows of <paramref name="windowSize"/> (default: the checkpoint's) are
    /// encoded and merged separately, concatenated, and aligned by one LSA pass over all soft tokens.</summary>
    public CompressedContext CompressTokens(IReadOnlyList<int> tokenIds, int rate, IProgress<CompressionProgress>? progress = null, CancellationToken cancellationToken = default, int? windowSize = null)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        int window = windowSize ?? Config.WindowSize;
        CheckCompressible(tokenIds.Count, rate, window);
        if (Config.TrainedRates.Count > 0 && !Config.TrainedRates.Contains(rate))
        {
            Logger.LogWarning("Rate {Rate} is outside the rates this GMSA checkpoint was trained on ({TrainedRates}); answers may be worse.",
                rate, string.Join(", ", Config.TrainedRates));
        }
        if (window > Config.WindowSize)
        {
            Logger.LogWarning("Window {Window} is larger than the {TrainedWindow} tokens this GMSA checkpoint was trained on: its encoder never saw later positions, so soft tokens may be worse.",
                window, Config.WindowSize);
        }
        if (tokenIds.Count < Math.Max(2, rate))
        {
            Logger.LogWarning("The document has only {Tokens} token(s), less than one group at rate {Rate}: there is next to nothing to answer from.", tokenIds.Count, rate);
        }
        var lsaCache = new KvCache(lsa.BlockCount);
        try
        {
            return CompressWindows(tokenIds, 0, rate, window, keptSoftTokens: null, lsaCache, progress, cancellationToken);
        }
        catch
        {
            lsaCache.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A new context holding <paramref name="context"/>'s text followed by <paramref name="moreText"/>, computed
    /// without recompressing what <paramref name="context"/> holds: encoder windows are independent and the LSA
    /// blocks and the decoder are causal, so only the last, partial window (read again with the new text) and
    /// the new windows are encoded, and the earlier soft tokens and their decoder KV cache are carried over.
    /// <paramref name="context"/> stays valid. The new text is tokenized on its own, so append at a word or line
    /// boundary: a word split between two calls may tokenize differently from the whole text.
    /// </summary>
    public async Task<CompressedContext> ExtendAsync(CompressedContext context, string moreText, IProgress<CompressionProgress>? progress = null, CancellationToken cancellationToken = default) =>
        await ExtendTokensAsync(context, DocumentTokens(moreText, nameof(moreText)), progress, cancellationToken).ConfigureAwait(false);

    /// <summary>The token-id form of <see cref="ExtendAsync"/>: the result equals <see cref="CompressTokens"/> of all
    /// the ids at once, up to floating-point rounding.</summary>
    public async Task<CompressedContext> ExtendTokensAsync(CompressedContext context, IReadOnlyList<int> moreTokenIds, IProgress<CompressionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(moreTokenIds);
        CheckCompatible(context);
        if (!context.CanExtend)
        {
            throw new InvalidOperationException(
                "This compressed context was loaded from a file, which keeps only its soft tokens, not the encoder window it ended in; compress the whole document to extend it.");
        }
        if (moreTokenIds.Count == 0)
        {
            throw new ArgumentException("The appended text has no tokens: there is nothing to compress.", nameof(moreTokenIds));
        }
        CheckCompressible(context.SourceTokens + moreTokenIds.Count, context.Rate, context.WindowSize);
        IReadOnlyList<int> tail = context.TailTokens!;
        int kept = context.SoftTokenCount - (tail.Count > 0 ? GroupMerging.Count(tail.Count, context.Rate) : 0);
        int[] reencoded = [.. tail, .. moreTokenIds];
        return await Task.Run(async () =>
        {
            (Tensor keptSoft, KvCache lsaCache, KvCache? decoderCache) = await CopyPrefixAsync(context, kept, cancellationToken).ConfigureAwait(false);
            try
            {
                using (keptSoft)
                {
                    CompressedContext extended = CompressWindows(reencoded, context.SourceTokens - tail.Count, context.Rate, context.WindowSize, keptSoft, lsaCache, progress, cancellationToken);
                    extended.DecoderCache = decoderCache;
                    return extended;
                }
            }
            catch
            {
                lsaCache.Dispose();
                decoderCache?.Dispose();
                throw;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    // Copies the first `count` soft tokens and their LSA and decoder caches, holding the context only that long:
    // questions on it may be extending its decoder cache meanwhile.
    private static async Task<(Tensor SoftTokens, KvCache LsaCache, KvCache? DecoderCache)> CopyPrefixAsync(CompressedContext context, int count, CancellationToken cancellationToken)
    {
        await context.EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var scope = NewDisposeScope();
            Tensor soft = context.HeldSoftTokens.narrow(0, 0, count).clone().MoveToOuterDisposeScope();
            return (soft, context.LsaCache!.CopyPrefix(count), context.DecoderCache?.CopyPrefix(count));
        }
        finally
        {
            context.Exit();
        }
    }

    // Encodes `tokenIds`, which start at a window boundary `tokensBefore` tokens into the document, window by
    // window, and aligns their merged vectors by LSA after the soft tokens `lsaCache` already holds
    // (`keptSoftTokens`, null for a new document).
    private CompressedContext CompressWindows(IReadOnlyList<int> tokenIds, int tokensBefore, int rate, int window, Tensor? keptSoftTokens, KvCache lsaCache,
        IProgress<CompressionProgress>? progress, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor soft = AlignedWindows(tokenIds, rate, window, WindowsPerBatch, lsaCache,
            (done, windows) => progress?.Report(new CompressionProgress(done, windows)), cancellationToken);
        CompressedContext.RequireFinite(soft, "The compressed document");
        if (keptSoftTokens is not null)
        {
            soft = cat([keptSoftTokens, soft], 0);
        }
        int tail = tokenIds.Count % window;
        return new CompressedContext(soft.MoveToOuterDisposeScope(), rate, tokensBefore + tokenIds.Count, window, Config.BaseFingerprint, Fingerprint)
        {
            LsaCache = lsaCache,
            TailTokens = tokenIds.Skip(tokenIds.Count - tail).ToArray(),
        };
    }

    /// <summary>Answers <paramref name="question"/> from a compressed context: the text (without the checkpoint's
    /// answer prefix), token ids, stop reason, prompt tokens and time. Null <paramref name="options"/> means
    /// <see cref="DefaultAnswerOptions"/>. The work, the soft tokens' prefill included, runs on a worker thread, and
    /// waiting for another question on the same context blocks no thread.</summary>
    public Task<GenerationResult> AnswerAsync(CompressedContext context, string question, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        _answering.AnswerAsync(context, question, options, cancellationToken);

    /// <summary>Streams the answer to <paramref name="question"/> piece by piece (without the checkpoint's answer
    /// prefix). Tokens are generated on a worker thread and handed over as they come.</summary>
    public IAsyncEnumerable<string> StreamAnswerAsync(CompressedContext context, string question, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        _answering.StreamAnswerAsync(context, question, options, cancellationToken);

    /// <summary>
    /// The token-level answer loop: the decoder reads [soft tokens][prompt] with the KEFT adapters. The soft
    /// tokens' KV cache is computed on the first call for a context and reused by every later one, so a
    /// further question costs only its own tokens and the answer. Questions on one context run one at a time:
    /// this synchronous form blocks its thread while another question holds the context; the async methods do not.
    /// </summary>
    public IEnumerable<int> AnswerTokens(CompressedContext context, IReadOnlyList<int> promptIds, GenerationOptions options, CancellationToken cancellationToken = default) =>
        _answering.AnswerTokens(context, promptIds, options, cancellationToken);

    /// <summary>Throws unless <paramref name="context"/> was made by this compressor's weights and fits its decoder.</summary>
    internal void CheckCompatible(CompressedContext context)
    {
        if (context.BaseFingerprint != Config.BaseFingerprint || context.GmsaFingerprint != Fingerprint)
        {
            throw new InvalidOperationException(
                $"This compressed context was made with base {context.BaseFingerprint} and GMSA checkpoint {context.GmsaFingerprint}, " +
                $"but this compressor is base {Config.BaseFingerprint} and GMSA checkpoint {Fingerprint}: compress the document again with this compressor.");
        }
        if (context.SoftTokens.shape[1] != Model.Config.HiddenSize)
        {
            throw new InvalidOperationException($"The context's soft tokens have width {context.SoftTokens.shape[1]}, the decoder {Model.Config.HiddenSize}.");
        }
    }

    private IReadOnlyList<int> DocumentTokens(string text, string parameter)
    {
        ArgumentNullException.ThrowIfNull(text, parameter);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException("The text is empty: there is nothing to compress.", parameter);
        }
        return RequireTokenizer().Encode(text, addBos: false);
    }

    internal HfTokenizer RequireTokenizer() => Model.Tokenizer
        ?? throw new InvalidOperationException("The base model folder has no tokenizer, so only token ids can be compressed (use CompressTokens and AnswerTokens).");

    private void CheckCompressible(int tokenCount, int rate, int window)
    {
        if (tokenCount == 0)
        {
            throw new ArgumentException("The context has no tokens: there is nothing to compress.", "tokenIds");
        }
        if (rate < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The compression rate must be at least 1.");
        }
        if (window < 1 || window > Model.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentOutOfRangeException("windowSize", window, $"The window must be between 1 and the model's {Model.Config.MaxPositionEmbeddings} positions.");
        }
        int softCount = CompressedContext.SoftTokenCountFor(tokenCount, window, rate);
        if (softCount > Model.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"{tokenCount} tokens at rate {rate} give {softCount} soft tokens, more than the decoder's {Model.Config.MaxPositionEmbeddings} positions; use a higher rate or a shorter document.", "tokenIds");
        }
    }

    // The soft-token core behind compression, extension, autoencoder training and training on answers: the windows of `tokenIds` are
    // encoded `windowsPerBatch` at a time and group-merged separately, then aligned by one LSA pass after the soft
    // tokens `lsaCache` holds (null: none). Runs in the caller's dispose scope and grad mode; `windowsDone` hears
    // (windows done, windows) before the first batch and after each.
    private Tensor AlignedWindows(IReadOnlyList<int> tokenIds, int rate, int window, int windowsPerBatch, KvCache? lsaCache,
        Action<int, int>? windowsDone, CancellationToken cancellationToken)
    {
        int windows = (tokenIds.Count + window - 1) / window;
        var merged = new List<Tensor>();
        windowsDone?.Invoke(0, windows);
        for (int first = 0; first < windows; first += Math.Min(windowsPerBatch, windows - first))
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(windowsPerBatch, windows - first);
            merged.AddRange(MergedWindows(tokenIds, first, count, window, rate));
            windowsDone?.Invoke(first + count, windows);
        }
        return lsa.Forward(cat(merged, 0).unsqueeze(0), mask: null, lsaCache)[0];
    }

    // Encodes windows firstWindow .. firstWindow + count - 1 in one batch and group-merges each; the rows of the
    // last, shorter window are cut to its own soft-token count.
    private List<Tensor> MergedWindows(IReadOnlyList<int> tokenIds, int firstWindow, int count, int window, int rate)
    {
        (Tensor ids, Tensor? mask) = WindowBatch(tokenIds, firstWindow, count, window);
        (Tensor vectors, _) = GroupMerging.Merge(Encode(ids, mask), mask, rate);
        return Enumerable.Range(0, count)
            .Select(row => vectors[row].narrow(0, 0, GroupMerging.Count(Math.Min(window, tokenIds.Count - (firstWindow + row) * window), rate)))
            .ToList();
    }

    // Only the last window can be short; a batch of full windows needs no mask (and runs faster without).
    private (Tensor Ids, Tensor? Mask) WindowBatch(IReadOnlyList<int> tokenIds, int firstWindow, int count, int window)
    {
        int longest = Math.Min(window, tokenIds.Count - firstWindow * window);
        var ids = new long[count * longest];
        var mask = new long[count * longest];
        for (int row = 0; row < count; row++)
        {
            int start = (firstWindow + row) * window;
            int length = Math.Min(window, tokenIds.Count - start);
            for (int i = 0; i < length; i++)
            {
                ids[row * longest + i] = tokenIds[start + i];
                mask[row * longest + i] = 1;
            }
        }
        Tensor idTensor = tensor(ids, dtype: ScalarType.Int64).reshape(count, longest).to(Model.Device);
        return mask.All(m => m == 1) ? (idTensor, null) : (idTensor, tensor(mask, dtype: ScalarType.Int64).reshape(count, longest).to(Model.Device));
    }

    private string ComputeFingerprint() => ModelFingerprint.OfTensors(named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
}
#pragma warning restore IDE1006
