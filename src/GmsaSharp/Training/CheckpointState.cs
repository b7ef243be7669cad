using System.Text.Json;
using System.Text.Json.Nodes;

namespace GmsaSharp.Training;

/// <summary>
/// The contents of a checkpoint's <c>trainer_state.json</c>, read with an error naming the file for anything
/// damaged. <see cref="Settings"/> and <see cref="FileHashes"/> are absent from checkpoints written before they
/// were recorded; such checkpoints resume without those checks.
/// </summary>
internal sealed record CheckpointState(string Stage, int Step, long Seed, long BatchSize, long GradientAccumulation,
    IReadOnlyDictionary<string, string>? Settings, IReadOnlyDictionary<string, string> FileHashes)
{
    public static CheckpointState Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no checkpoint to resume in '{Path.GetDirectoryName(path)}'.", path);
        }
        try
        {
            JsonObject state = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new FormatException("it is not a JSON object");
            return new CheckpointState(
                Required(state, "stage").GetValue<string>(),
                Required(state, "step").GetValue<int>(),
                Required(state, "seed").GetValue<long>(),
                Required(state, "batch_size").GetValue<long>(),
                Required(state, "gradient_accumulation").GetValue<long>(),
                (state["settings"] as JsonObject)?.ToDictionary(item => item.Key, item => Required(state["settings"]!.AsObject(), item.Key).GetValue<string>()),
                (state["sha256"] as JsonObject)?.ToDictionary(item => item.Key, item => Required(state["sha256"]!.AsObject(), item.Key).GetValue<string>())
                    ?? new Dictionary<string, string>());
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"Checkpoint state '{path}' is damaged ({e.Message}); resume from an intact copy or train into another folder.", e);
        }
    }

    private static JsonNode Required(JsonObject state, string key) => state[key] ?? throw new FormatException($"'{key}' is missing");
}
