using System.Text.Json;
using GmsaSharp.Checkpoints;
using GmsaSharp.Runtime;
using GmsaSharp.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// A LLaMA-family causal language model (Llama, Mistral, Qwen2, Qwen3): the decoder stack plus the
/// output projection, loaded from a HuggingFace folder. Forward passes take token ids or input
/// embeddings, padding masks, position ids and a KV cache.
/// </summary>
#pragma warning disable IDE1006 // field names are HuggingFace state-dict keys
public sealed class CausalLM : nn.Module
{
    private readonly DecoderModel model;
    private readonly Linear? lm_head;

    private CausalLM(DecoderConfig config, ComputeEnvironment environment) : base(nameof(CausalLM))
    {
        Config = config;
        Environment = environment;
        model = new DecoderModel(config, environment.Device, environment.DType);
        if (!config.TieWordEmbeddings)
        {
            lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, environment.Device, environment.DType);
        }
        RegisterComponents();
    }

    /// <summary>The model's configuration.</summary>
    public DecoderConfig Config { get; }

    /// <summary>Where and in what dtype the model computes.</summary>
    public ComputeEnvironment Environment { get; }

    /// <summary>The decoder stack (embeddings, blocks, final norm).</summary>
    internal DecoderModel Decoder => model;

    /// <summary>The folder's tokenizer, or null when it has none (token-id input only).</summary>
    public HfTokenizer? Tokenizer { get; private set; }

    /// <summary>The folder the tokenizer files came from; <see cref="SavePretrained"/> copies them.</summary>
    public string? TokenizerDirectory { get; private set; }

    /// <summary>The folder the weights were loaded from, for messages; null for a model made in memory.</summary>
    public string? SourceFolder { get; private set; }

    private string? _fingerprint;

    /// <summary>
    /// A short identity of the weights, so compressors and compressed contexts refuse a base they were not made
    /// for: of the stored values when the model was loaded from files, else of its parameters when first asked.
    /// Loaded models are fingerprinted before conversion to the compute dtype: float16 cannot hold every bf16
    /// value (tiny ones lose bits), so fingerprinting its copy would make the same base look different.
    /// </summary>
    public string Fingerprint
    {
        get
        {
            if (_fingerprint is null)
            {
                var parameters = named_parameters().ToDictionary(p => p.name, p => p.parameter);
                _fingerprint = ComputeFingerprint(name => ModelFingerprint.Sample(parameters[name]));
            }
            return _fingerprint;
        }
    }

    /// <summary>How many times the model has entered training: its weights may have changed since a copy made
    /// before it (merged adapter copies, <see cref="MergedBlocks"/>) was built.</summary>
    internal long TrainingPeriods { get; private set; }

    /// <inheritdoc/>
    public override void train(bool train = true)
    {
        base.train(train);
        if (train)
        {
            TrainingPeriods++;
        }
    }

    private string ComputeFingerprint(Func<string, byte[]> sampleOf) =>
        ModelFingerprint.OfSampled(Config.ToJson().ToJsonString(), named_parameters().Select(p => (p.name, p.parameter.shape)), sampleOf);

    /// <summary>The tokenizer files of a HuggingFace folder that travel with a model.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles =
        ["tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"];

    /// <summary>Uses the tokenizer of <paramref name="directory"/> (for a model created from scratch).</summary>
    public void AttachTokenizer(string directory)
    {
        Tokenizer = HfTokenizer.Load(directory);
        TokenizerDirectory = directory;
    }

    /// <summary>Every end-of-sequence id, from config.json and the tokenizer's files.</summary>
    public IReadOnlySet<int> EosTokenIds => Config.EosTokenIds.Concat(Tokenizer?.EosIds ?? Enumerable.Empty<int>()).ToHashSet();

    /// <summary>The device the weights live on.</summary>
    public Device Device => Environment.Device;

    /// <summary>Loads config.json and the safetensors weights of a HuggingFace model folder.</summary>
    public static CausalLM FromPretrained(string directory, ComputeOptions? options = null) => Load(directory, options, progress: null, CancellationToken.None);

    /// <summary>Loads a HuggingFace model folder on a worker thread, reporting every weight tensor loaded.</summary>
    public static Task<CausalLM> FromPretrainedAsync(string directory, ComputeOptions? options = null, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Load(directory, options, progress, cancellationToken), cancellationToken);

    private static CausalLM Load(string directory, ComputeOptions? options, IProgress<LoadProgress>? progress, CancellationToken cancellationToken)
    {
        if (File.Exists(directory))
        {
            throw new ArgumentException($"Model folder '{directory}' is a file, expected a folder (config.json, safetensors weights, tokenizer).");
        }
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Model folder '{directory}' does not exist.");
        }
        DecoderConfig config = DecoderConfig.Load(Path.Combine(directory, "config.json"));
        IReadOnlyList<string> files = HfWeightFiles.Find(directory);
        var lm = new CausalLM(config, ComputeEnvironment.Select(options).Apply());
        try
        {
            lm.eval();
            var parameters = lm.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
            // Tied checkpoints may still store lm_head; old Llama conversions store rotary tables.
            var samples = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            WeightLoader.Load(files, parameters, name =>
                (config.TieWordEmbeddings && name == "lm_head.weight") || name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal),
                (name, stored) => samples[name] = ModelFingerprint.Sample(stored), progress, cancellationToken);
            lm._fingerprint = lm.ComputeFingerprint(name => samples[name]);
            lm.SourceFolder = directory;
            lm.Tokenizer = HfTokenizer.TryLoad(directory);
            lm.TokenizerDirectory = lm.Tokenizer is null ? null : directory;
            return lm;
        }
        catch
        {
            lm.Dispose();
            throw;
        }
    }

    /// <summary>A model with fresh random weights (std 0.02, norms at one), seeded for reproducibility.</summary>
    public static CausalLM CreateRandom(DecoderConfig config, ComputeEnvironment environment, long seed)
    {
        var lm = new CausalLM(config, environment);
        var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach ((string name, Parameter parameter) in lm.named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                parameter.fill_(HeldScalars.One);
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                parameter.zero_();
            }
            else
            {
                using Scalar std = 0.02.ToScalar();
                using Tensor normal = randn(parameter.shape, dtype: ScalarType.Float32, generator: generator);
                using Tensor values = normal * std;
                parameter.copy_(values);
            }
        }
        lm.eval();
        return lm;
    }

    /// <summary>Writes config.json and model.safetensors (in the compute dtype) to <paramref name="directory"/>,
    /// with the tokenizer files when the model has a tokenizer.</summary>
    public void SavePretrained(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        if (TokenizerDirectory is { } source && Path.GetFullPath(source) != Path.GetFullPath(directory))
        {
            foreach (string file in TokenizerFiles.Select(name => Path.Combine(source, name)).Where(File.Exists))
            {
                File.Copy(file, Path.Combine(directory, Path.GetFileName(file)), overwrite: true);
            }
        }
        var config = Config.ToJson();
        config["torch_dtype"] = ComputeDTypes.Name(Environment.DType);
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        SafetensorsFile.Write(Path.Combine(directory, HfWeightFiles.SingleFile),
            named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)),
            new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>A fresh, empty KV cache for this model.</summary>
    public KvCache NewCache() => new(Config.Layers);

    /// <summary>Embeds token ids [batch, seq] into [batch, seq, hidden].</summary>
    public Tensor Embed(Tensor tokenIds)
    {
        CheckTokenIds(tokenIds);
        return model.Embed(tokenIds.to(Device));
    }

    /// <summary>Final-normed hidden states [batch, new, hidden] for token ids or input embeddings (exactly one).</summary>
    /// <param name="tokenIds">[batch, new] token ids.</param>
    /// <param name="inputEmbeddings">[batch, new, hidden] embeddings, e.g. GMSA soft tokens followed by embedded prompt tokens.</param>
    /// <param name="attentionMask">[batch, new]: 1 for real tokens, 0 for padding; null when there is none.</param>
    /// <param name="positionIds">[batch, new]: explicit positions; null counts real tokens after the cache.</param>
    /// <param name="cache">A KV cache that is read and extended, or null.</param>
    /// <param name="adapters">Per-call projection adapters, or null for the plain model.</param>
    public Tensor HiddenStates(Tensor? tokenIds = null, Tensor? inputEmbeddings = null, Tensor? attentionMask = null,
        Tensor? positionIds = null, KvCache? cache = null, IProjectionAdapters? adapters = null)
    {
        using var scope = NewDisposeScope();
        Tensor embeddings = (tokenIds, inputEmbeddings) switch
        {
            ({ } ids, null) => Embed(ids),
            (null, { } given) => given.to(Environment.DType).to(Device),
            _ => throw new ArgumentException("Pass exactly one of token ids and input embeddings."),
        };
        return model.Forward(embeddings, attentionMask?.to(Device), positionIds?.to(Device), cache, adapters).MoveToOuterDisposeScope();
    }

    /// <summary>Vocabulary logits (fp32) of hidden states [..., hidden].</summary>
    public Tensor Logits(Tensor hiddenStates)
    {
        using var scope = NewDisposeScope();
        Tensor logits = lm_head is null
            ? SingleRowLinear.Forward(hiddenStates, model.EmbeddingWeight, null)
            : SingleRowLinear.Forward(hiddenStates, lm_head.weight!, null);
        return logits.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Logits [batch, new, vocab] (fp32) for every new position, or [batch, 1, vocab] for the last only,
    /// so generation never projects the whole prompt onto the vocabulary.</summary>
    public Tensor Forward(Tensor? tokenIds = null, Tensor? inputEmbeddings = null, Tensor? attentionMask = null,
        Tensor? positionIds = null, KvCache? cache = null, bool lastPositionOnly = false, IProjectionAdapters? adapters = null)
    {
        using var scope = NewDisposeScope();
        Tensor hidden = HiddenStates(tokenIds, inputEmbeddings, attentionMask, positionIds, cache, adapters);
        if (lastPositionOnly)
        {
            hidden = hidden.narrow(1, hidden.size(1) - 1, 1);
        }
        return Logits(hidden).MoveToOuterDisposeScope();
    }

    private void CheckTokenIds(Tensor tokenIds)
    {
        if (tokenIds.dim() != 2 || tokenIds.dtype is not (ScalarType.Int64 or ScalarType.Int32))
        {
            throw new ArgumentException($"Token ids must be an integer tensor [batch, seq], got {tokenIds.dtype} [{string.Join(", ", tokenIds.shape)}].", nameof(tokenIds));
        }
        if (tokenIds.numel() == 0)
        {
            return;
        }
        long min = tokenIds.min().item<long>(), max = tokenIds.max().item<long>();
        if (min < 0 || max >= Config.VocabSize)
        {
            throw new ArgumentOutOfRangeException(nameof(tokenIds), $"Token ids must lie in [0, {Config.VocabSize}), got values from {min} to {max}.");
        }
    }
}
#pragma warning restore IDE1006
