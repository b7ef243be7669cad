using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;

namespace GmsaSharp.Checkpoints;

/// <summary>
/// Reads a safetensors file (an 8-byte little-endian header length, a JSON header, then raw tensor bytes)
/// one tensor at a time, so loading a model never holds more than one stored tensor beyond the model's
/// own weights. Every malformed or truncated file is reported with its path and the tensor concerned.
/// </summary>
internal sealed class SafetensorsFile : IDisposable
{
    private const long MaxHeaderBytes = 100_000_000;
    private readonly FileStream _stream;
    private readonly long _dataStart;

    private SafetensorsFile(string path, FileStream stream, long dataStart, IReadOnlyDictionary<string, SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _stream = stream;
        _dataStart = dataStart;
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Every tensor in the file, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    /// <summary>The header's <c>__metadata__</c> strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens <paramref name="path"/> and validates its header against the file's length.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        }
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        try
        {
            Span<byte> lengthBytes = stackalloc byte[8];
            if (stream.Length < 8 || stream.Read(lengthBytes) != 8)
            {
                throw Corrupt(path, $"it is {stream.Length} bytes long, too short for a header");
            }
            long headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
            if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > stream.Length)
            {
                throw Corrupt(path, $"its header length {headerLength} does not fit the file's {stream.Length} bytes");
            }
            byte[] header = new byte[headerLength];
            stream.ReadExactly(header);
            long dataStart = 8 + headerLength;
            (var entries, var metadata) = ParseHeader(path, header, stream.Length - dataStart);
            return new SafetensorsFile(path, stream, dataStart, entries, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads one tensor in its stored dtype, on the CPU.</summary>
    public torch.Tensor Read(string name)
    {
        if (!Entries.TryGetValue(name, out SafetensorsEntry? entry))
        {
            throw new KeyNotFoundException($"Tensor '{name}' is not in '{Path}'.");
        }
        torch.Tensor tensor = torch.empty(entry.Shape, entry.DType);
        try
        {
            _stream.Position = _dataStart + entry.Begin;
            tensor.ReadBytesFromStream(_stream, bufferSize: 1 << 20);
            return tensor;
        }
        catch (EndOfStreamException e)
        {
            tensor.Dispose();
            throw Corrupt(Path, $"tensor '{name}' runs past the end of the file", e);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();

    /// <summary>Writes tensors (any device, any supported dtype) and optional metadata to <paramref name="path"/>,
    /// in the given order. The file is written beside the target and moved into place, so a crash never
    /// leaves a half-written checkpoint under the real name.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 })
        {
            header["__metadata__"] = metadata;
        }
        long offset = 0;
        foreach ((string name, torch.Tensor tensor) in list)
        {
            if (header.ContainsKey(name))
            {
                throw new ArgumentException($"Tensor name '{name}' appears twice.", nameof(tensors));
            }
            long bytes = tensor.NumberOfElements * tensor.ElementSize;
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = SafetensorsDTypes.Name(tensor.dtype, name),
                ["shape"] = tensor.shape,
                ["data_offsets"] = new[] { offset, offset + bytes },
            };
            offset += bytes;
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        // Pad the header with spaces so the data section starts 8-byte aligned, as the reference writer does.
        int padding = (8 - json.Length % 8) % 8;

        string temporary = path + ".tmp";
        try
        {
            WriteFile(temporary, json, padding, list);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The temporary name is an implementation detail: report the file the caller asked for.
            throw new IOException($"Cannot write '{path}': {e.Message.Replace(temporary, path, StringComparison.Ordinal)}", e);
        }
    }

    private static void WriteFile(string temporary, byte[] json, int padding, List<KeyValuePair<string, torch.Tensor>> list)
    {
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, json.Length + padding);
            stream.Write(length);
            stream.Write(json);
            for (int i = 0; i < padding; i++)
            {
                stream.WriteByte((byte)' ');
            }
            foreach ((_, torch.Tensor tensor) in list)
            {
                using var scope = torch.NewDisposeScope();
                tensor.detach().cpu().contiguous().WriteBytesToStream(stream, bufferSize: 1 << 20);
            }
        }
    }

    private static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Corrupt(path, "its header is not valid JSON", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Corrupt(path, "its header is not a JSON object");
            }
            try
            {
                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    if (property.Name == "__metadata__")
                    {
                        foreach (JsonProperty item in property.Value.EnumerateObject())
                        {
                            metadata[item.Name] = item.Value.GetString() ?? "";
                        }
                        continue;
                    }
                    entries[property.Name] = ParseEntry(path, property, dataLength);
                }
            }
            catch (InvalidOperationException e)
            {
                // JsonDocument parses without decoding strings: invalid UTF-8 or a non-string metadata value shows up here.
                throw Corrupt(path, $"its header holds a malformed name or metadata value ({e.Message})", e);
            }
        }
        return (entries, metadata);
    }

    private static SafetensorsEntry ParseEntry(string path, JsonProperty property, long dataLength)
    {
        string name = property.Name;
        try
        {
            JsonElement value = property.Value;
            torch.ScalarType dtype = SafetensorsDTypes.Parse(value.GetProperty("dtype").GetString() ?? "", path, name);
            long[] shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            long[] offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var entry = new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
            long expectedBytes = entry.ElementCount * SafetensorsDTypes.ElementSize(dtype);
            if (offsets.Length != 2 || entry.Begin < 0 || entry.End - entry.Begin != expectedBytes || shape.Any(d => d < 0))
            {
                throw Corrupt(path, $"tensor '{name}' has shape [{string.Join(", ", shape)}] but data_offsets [{string.Join(", ", offsets)}]");
            }
            if (entry.End > dataLength)
            {
                throw Corrupt(path, $"tensor '{name}' ends at byte {entry.End} of the data section, which has only {dataLength} bytes (truncated file)");
            }
            return entry;
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw Corrupt(path, $"the header record of tensor '{name}' is malformed ({e.Message})", e);
        }
    }

    private static InvalidDataException Corrupt(string path, string what, Exception? inner = null) =>
        new($"Safetensors file '{path}' is corrupt: {what}.", inner);
}
