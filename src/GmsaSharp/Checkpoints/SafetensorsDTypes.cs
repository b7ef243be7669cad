using TorchSharp;

namespace GmsaSharp.Checkpoints;

/// <summary>The mapping between safetensors dtype names and TorchSharp scalar types.</summary>
internal static class SafetensorsDTypes
{
    private static readonly (string Name, torch.ScalarType Type, int Size)[] Known =
    [
        ("F64", torch.ScalarType.Float64, 8),
        ("F32", torch.ScalarType.Float32, 4),
        ("F16", torch.ScalarType.Float16, 2),
        ("BF16", torch.ScalarType.BFloat16, 2),
        ("I64", torch.ScalarType.Int64, 8),
        ("I32", torch.ScalarType.Int32, 4),
        ("I16", torch.ScalarType.Int16, 2),
        ("I8", torch.ScalarType.Int8, 1),
        ("U8", torch.ScalarType.Byte, 1),
        ("BOOL", torch.ScalarType.Bool, 1),
    ];

    /// <summary>The scalar type a safetensors dtype name stands for.</summary>
    public static torch.ScalarType Parse(string name, string path, string tensor)
    {
        foreach (var known in Known)
        {
            if (known.Name == name)
            {
                return known.Type;
            }
        }
        throw new InvalidDataException(
            $"Safetensors file '{path}': tensor '{tensor}' has dtype '{name}', which is not supported (supported: {string.Join(", ", Known.Select(k => k.Name))}).");
    }

    /// <summary>The safetensors name of a scalar type.</summary>
    public static string Name(torch.ScalarType type, string tensor)
    {
        foreach (var known in Known)
        {
            if (known.Type == type)
            {
                return known.Name;
            }
        }
        throw new ArgumentException($"Tensor '{tensor}' has dtype {type}, which safetensors files cannot store here.", nameof(type));
    }

    /// <summary>Bytes per element of a supported scalar type.</summary>
    public static int ElementSize(torch.ScalarType type) => Known.First(k => k.Type == type).Size;
}
