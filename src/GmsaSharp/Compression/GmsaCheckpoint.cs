using GmsaSharp.Checkpoints;
using GmsaSharp.Models;
using static TorchSharp.torch;

namespace GmsaSharp.Compression;

/// <summary>
/// A GMSA checkpoint folder: <c>gmsa_config.json</c> and <c>gmsa.safetensors</c> (the compressor's trained weights,
/// never the base's), checked on load against the base it was trained for and against the fingerprint recorded
/// when it was saved.
/// </summary>
internal static class GmsaCheckpoint
{
    /// <summary>The weights file inside a checkpoint folder.</summary>
    public const string WeightsFile = "gmsa.safetensors";

    /// <summary>Loads the checkpoint in <paramref name="directory"/> for <paramref name="lm"/>: its base, or with
    /// <paramref name="adoptBase"/> a base of the same architecture and shape that becomes its base.</summary>
    public static GmsaCompressor Load(string directory, CausalLM lm, bool adoptBase, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (File.Exists(directory))
        {
            throw new ArgumentException($"GMSA checkpoint folder '{directory}' is a file, expected a folder ({GmsaConfig.FileName}, {WeightsFile}).");
        }
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"GMSA checkpoint folder '{directory}' does not exist.");
        }
        GmsaConfig config = GmsaConfig.Load(directory);
        string baseFingerprint = lm.Fingerprint;
        bool sameShape = config.BaseArchitecture == lm.Config.ArchitectureName && config.BaseHiddenSize == lm.Config.HiddenSize
            && config.BaseLayers == lm.Config.Layers && config.BaseVocabSize == lm.Config.VocabSize;
        if (!sameShape || (!adoptBase && config.BaseFingerprint != baseFingerprint))
        {
            throw new InvalidOperationException(
                $"GMSA checkpoint '{directory}' was trained for base {config.BaseArchitecture} (hidden {config.BaseHiddenSize}, {config.BaseLayers} blocks, " +
                $"vocabulary {config.BaseVocabSize}, fingerprint {config.BaseFingerprint}), but the given model{(lm.SourceFolder is { } folder ? $" ('{folder}')" : "")} is {lm.Config.ArchitectureName} " +
                $"(hidden {lm.Config.HiddenSize}, {lm.Config.Layers} blocks, vocabulary {lm.Config.VocabSize}, fingerprint {baseFingerprint})" +
                (adoptBase ? "; a compressor can only move to a base of the same architecture and shape." : "."));
        }
        var compressor = new GmsaCompressor(lm, config with { BaseFingerprint = baseFingerprint }, seed: 0);
        try
        {
            var parameters = compressor.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
            string weightsPath = Path.Combine(directory, WeightsFile);
            WeightLoader.Load([weightsPath], parameters, progress: progress, cancellationToken: cancellationToken);
            compressor.Fingerprint = StoredFingerprint(weightsPath);
            compressor.eval();
            return compressor;
        }
        catch
        {
            compressor.Dispose();
            throw;
        }
    }

    // The fingerprint of the weights as stored, so it does not depend on the dtype they are loaded in. Save
    // records it in the file's metadata: a different value means bytes changed after saving (a damaged copy).
    private static string StoredFingerprint(string weightsPath)
    {
        using SafetensorsFile file = SafetensorsFile.Open(weightsPath);
        string fingerprint = ModelFingerprint.OfStoredTensors(file);
        if (file.Metadata.TryGetValue("fingerprint", out string? recorded) && recorded != fingerprint)
        {
            throw new InvalidDataException(
                $"GMSA weights '{weightsPath}' are damaged: their tensors hash to fingerprint {fingerprint}, but the file records {recorded} from when it was saved.");
        }
        return fingerprint;
    }

    /// <summary>Writes <paramref name="compressor"/>'s config and trained weights, with their fingerprint, to <paramref name="directory"/>.</summary>
    public static void Save(GmsaCompressor compressor, string directory)
    {
        Directory.CreateDirectory(directory);
        compressor.RefreshFingerprint();
        compressor.Config.Save(directory);
        SafetensorsFile.Write(Path.Combine(directory, WeightsFile),
            compressor.named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)),
            new Dictionary<string, string> { ["format"] = "pt", ["fingerprint"] = compressor.Fingerprint });
    }
}
