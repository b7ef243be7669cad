using System.Text;

namespace GmsaSharp.Benchmarks.LlamaCpp;

/// <summary>The ggml tensor types this writer produces (values are ggml's <c>ggml_type</c>).</summary>
public enum GgmlType : uint
{
    /// <summary>32-bit float.</summary>
    F32 = 0,
    /// <summary>IEEE half.</summary>
    F16 = 1,
    /// <summary>Blocks of 32 int8 values sharing one f16 scale.</summary>
    Q8_0 = 8,
    /// <summary>bfloat16.</summary>
    BF16 = 30,
}

/// <summary>
/// Writes a GGUF version 3 file: the magic, the counts, typed key-value metadata, one info record per tensor
/// (name, dimensions innermost first, type, offset), then the tensor data, each tensor aligned to
/// <see cref="Alignment"/> bytes. Little-endian throughout, as llama.cpp reads it on x86 and ARM.
/// </summary>
public sealed class GgufWriter
{
    /// <summary>ggml's default data alignment; written as <c>general.alignment</c> too, so readers need not assume it.</summary>
    public const int Alignment = 32;

    private const uint Version = 3;

    // GGUF's value type tags (gguf_type).
    private enum ValueType : uint
    {
        UInt32 = 4,
        Int32 = 5,
        Float32 = 6,
        Bool = 7,
        String = 8,
        Array = 9,
    }

    private readonly List<(string Key, Action<BinaryWriter> Write)> _metadata = [];
    private readonly List<Tensor> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>A writer holding only <c>general.alignment</c>.</summary>
    public GgufWriter() => Add("general.alignment", (uint)Alignment);

    /// <summary>An unsigned 32-bit value.</summary>
    public void Add(string key, uint value) => AddEntry(key, writer =>
    {
        writer.Write((uint)ValueType.UInt32);
        writer.Write(value);
    });

    /// <summary>A 32-bit float value.</summary>
    public void Add(string key, float value) => AddEntry(key, writer =>
    {
        writer.Write((uint)ValueType.Float32);
        writer.Write(value);
    });

    /// <summary>A boolean (one byte).</summary>
    public void Add(string key, bool value) => AddEntry(key, writer =>
    {
        writer.Write((uint)ValueType.Bool);
        writer.Write(value);
    });

    /// <summary>A UTF-8 string.</summary>
    public void Add(string key, string value) => AddEntry(key, writer =>
    {
        writer.Write((uint)ValueType.String);
        WriteString(writer, value);
    });

    /// <summary>An array of UTF-8 strings.</summary>
    public void Add(string key, IReadOnlyList<string> values) => AddEntry(key, writer =>
    {
        writer.Write((uint)ValueType.Array);
        writer.Write((uint)ValueType.String);
        writer.Write((ulong)values.Count);
        foreach (string value in values)
        {
            WriteString(writer, value);
        }
    });

    /// <summary>An array of signed 32-bit values.</summary>
    public void Add(string key, IReadOnlyList<int> values) => AddEntry(key, writer =>
    {
        writer.Write((uint)ValueType.Array);
        writer.Write((uint)ValueType.Int32);
        writer.Write((ulong)values.Count);
        foreach (int value in values)
        {
            writer.Write(value);
        }
    });

    /// <summary>
    /// A tensor of <paramref name="shape"/> in row-major (PyTorch) order, its bytes already in
    /// <paramref name="type"/>'s layout. GGUF lists dimensions innermost first, so the shape is written reversed.
    /// </summary>
    public void AddTensor(string name, IReadOnlyList<long> shape, GgmlType type, byte[] data)
    {
        if (_names.Contains(name))
        {
            throw new ArgumentException($"Tensor '{name}' was added twice.", nameof(name));
        }
        if (shape.Count is < 1 or > 4)
        {
            throw new ArgumentException($"Tensor '{name}' has {shape.Count} dimensions; ggml supports 1 to 4.", nameof(shape));
        }
        long elements = shape.Aggregate(1L, (product, size) => product * size);
        long expected = ByteCount(type, elements, shape[^1], name);
        if (data.LongLength != expected)
        {
            throw new ArgumentException($"Tensor '{name}' of shape [{string.Join(", ", shape)}] in {type} needs {expected} bytes, got {data.LongLength}.", nameof(data));
        }
        _names.Add(name);
        _tensors.Add(new Tensor(name, shape.Reverse().ToArray(), type, data));
    }

    /// <summary>Writes the file; a crash never leaves a half-written file under the real name.</summary>
    public void Write(string path)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: false))
        {
            writer.Write("GGUF"u8);
            writer.Write(Version);
            writer.Write((ulong)_tensors.Count);
            writer.Write((ulong)_metadata.Count);
            foreach ((string key, Action<BinaryWriter> write) in _metadata)
            {
                WriteString(writer, key);
                write(writer);
            }
            long offset = 0;
            foreach (Tensor tensor in _tensors)
            {
                WriteString(writer, tensor.Name);
                writer.Write((uint)tensor.Dimensions.Length);
                foreach (long size in tensor.Dimensions)
                {
                    writer.Write((ulong)size);
                }
                writer.Write((uint)tensor.Type);
                writer.Write((ulong)offset);
                offset = Aligned(offset + tensor.Data.LongLength);
            }
            Pad(writer);
            foreach (Tensor tensor in _tensors)
            {
                writer.Write(tensor.Data);
                Pad(writer);
            }
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Bytes of <paramref name="elements"/> values of <paramref name="type"/>; Q8_0 needs rows of whole 32-value blocks.</summary>
    public static long ByteCount(GgmlType type, long elements, long rowLength, string name) => type switch
    {
        GgmlType.F32 => elements * 4,
        GgmlType.F16 or GgmlType.BF16 => elements * 2,
        GgmlType.Q8_0 when rowLength % Q8Block.Size == 0 => elements / Q8Block.Size * Q8Block.Bytes,
        GgmlType.Q8_0 => throw new ArgumentException($"Tensor '{name}' has rows of {rowLength} values; Q8_0 needs a multiple of {Q8Block.Size}."),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported ggml type."),
    };

    private void AddEntry(string key, Action<BinaryWriter> write)
    {
        if (_metadata.Any(entry => entry.Key == key))
        {
            throw new ArgumentException($"Metadata key '{key}' was added twice.", nameof(key));
        }
        _metadata.Add((key, write));
    }

    // GGUF strings: a 64-bit byte count, then UTF-8 bytes without a terminator.
    private static void WriteString(BinaryWriter writer, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static long Aligned(long offset) => (offset + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter writer)
    {
        long position = writer.BaseStream.Position;
        writer.Write(new byte[Aligned(position) - position]);
    }

    private sealed record Tensor(string Name, long[] Dimensions, GgmlType Type, byte[] Data);
}
