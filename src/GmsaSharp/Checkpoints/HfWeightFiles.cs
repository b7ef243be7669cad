using System.Text.Json;

namespace GmsaSharp.Checkpoints;

/// <summary>The safetensors files of a HuggingFace model folder: <c>model.safetensors</c>, or the
/// shards named by <c>model.safetensors.index.json</c>.</summary>
internal static class HfWeightFiles
{
    /// <summary>The single-file name.</summary>
    public const string SingleFile = "model.safetensors";

    /// <summary>The shard index name.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>The weight files of <paramref name="directory"/>, each validated to exist.</summary>
    public static IReadOnlyList<string> Find(string directory)
    {
        string index = Path.Combine(directory, IndexFile);
        if (File.Exists(index))
        {
            return ShardsOf(index);
        }
        string single = Path.Combine(directory, SingleFile);
        if (File.Exists(single))
        {
            return [single];
        }
        throw new FileNotFoundException($"Model folder '{directory}' has neither {SingleFile} nor {IndexFile}.", single);
    }

    private static IReadOnlyList<string> ShardsOf(string index)
    {
        string directory = Path.GetDirectoryName(index)!;
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(index));
            if (!document.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"Shard index '{index}' has no 'weight_map' object.");
            }
            var files = new List<string>();
            foreach (JsonProperty entry in map.EnumerateObject())
            {
                string file = entry.Value.GetString() ?? throw new InvalidDataException($"Shard index '{index}': tensor '{entry.Name}' maps to a non-string.");
                string path = Path.Combine(directory, file);
                if (!files.Contains(path))
                {
                    if (!File.Exists(path))
                    {
                        throw new FileNotFoundException($"Shard index '{index}' names '{file}' (for tensor '{entry.Name}'), which does not exist.", path);
                    }
                    files.Add(path);
                }
            }
            return files;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Shard index '{index}' is not valid JSON: {e.Message}", e);
        }
    }
}
