using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Checkpoints;

/// <summary>
/// Copies tensors from safetensors files into existing parameters, one stored tensor at a time, converting
/// dtype and device on the way, so peak memory is the model plus one tensor. Every stored tensor must
/// match a parameter (name and shape) and every parameter must be loaded; errors name the file and tensor.
/// A stored tensor holding NaN or infinity is refused: such weights answer with blanks or garbage, never an error.
/// </summary>
internal static class WeightLoader
{
    /// <summary>Loads <paramref name="files"/> into <paramref name="parameters"/>.</summary>
    /// <param name="files">The safetensors files.</param>
    /// <param name="parameters">Target tensors by state-dict name.</param>
    /// <param name="ignore">Stored tensors to skip without error (e.g. a tied lm_head, cached rotary tables).</param>
    /// <param name="onStored">Sees each loaded tensor as stored (its file dtype, on the CPU) before it is converted.</param>
    /// <param name="progress">Told after every tensor loaded.</param>
    /// <param name="cancellationToken">Stops between tensors.</param>
    public static void Load(IEnumerable<string> files, IReadOnlyDictionary<string, Tensor> parameters, Func<string, bool>? ignore = null,
        Action<string, Tensor>? onStored = null, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (string path in files)
        {
            using SafetensorsFile file = SafetensorsFile.Open(path);
            foreach (SafetensorsEntry entry in file.Entries.Values.OrderBy(e => e.Begin))
            {
                if (!parameters.TryGetValue(entry.Name, out Tensor? target))
                {
                    if (ignore?.Invoke(entry.Name) == true)
                    {
                        continue;
                    }
                    throw new InvalidDataException($"'{path}' holds tensor '{entry.Name}', which the model does not have (unexpected tensor).");
                }
                if (!entry.Shape.SequenceEqual(target.shape))
                {
                    throw new InvalidDataException(
                        $"'{path}': tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}] but the model expects [{string.Join(", ", target.shape)}].");
                }
                if (!loaded.Add(entry.Name))
                {
                    throw new InvalidDataException($"'{path}': tensor '{entry.Name}' was already loaded from another file.");
                }
                cancellationToken.ThrowIfCancellationRequested();
                using Tensor stored = file.Read(entry.Name);
                // One vectorised pass per tensor while it is in memory anyway (see README: what loading verifies).
                using (var scope = NewDisposeScope())
                {
                    if (stored.is_floating_point() && !stored.isfinite().all().item<bool>())
                    {
                        throw new InvalidDataException($"'{path}': tensor '{entry.Name}' holds NaN or infinite values; the checkpoint is damaged.");
                    }
                }
                onStored?.Invoke(entry.Name, stored);
                target.copy_(stored);
                progress?.Report(new LoadProgress(loaded.Count, parameters.Count));
            }
        }
        string[] missing = parameters.Keys.Where(name => !loaded.Contains(name)).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidDataException(
                $"The checkpoint ({string.Join(", ", files.Select(file => $"'{file}'"))}) lacks {missing.Length} tensor(s) the model needs: {string.Join(", ", missing.Take(8))}{(missing.Length > 8 ? ", ..." : "")}.");
        }
    }
}
