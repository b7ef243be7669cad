using TorchSharp;

namespace GmsaSharp.Runtime;

/// <summary>The floating-point types models compute in, and their user-facing names.</summary>
public static class ComputeDTypes
{
    /// <summary>The names <see cref="Parse"/> accepts, as the CLI documents them.</summary>
    public const string AcceptedNames = "float32, bfloat16, float16";

    /// <summary>Parses "float32"/"fp32", "bfloat16"/"bf16", "float16"/"fp16" (case-insensitive).</summary>
    public static torch.ScalarType Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "float32" or "fp32" or "float" => torch.ScalarType.Float32,
        "bfloat16" or "bf16" => torch.ScalarType.BFloat16,
        "float16" or "fp16" or "half" => torch.ScalarType.Float16,
        _ => throw new ArgumentException($"Unknown dtype '{name}': expected one of {AcceptedNames}.", nameof(name)),
    };

    /// <summary>The canonical name of a compute dtype ("float32", "bfloat16", "float16").</summary>
    public static string Name(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float32 => "float32",
        torch.ScalarType.BFloat16 => "bfloat16",
        torch.ScalarType.Float16 => "float16",
        _ => throw new ArgumentException($"{dtype} is not a compute dtype: expected one of {AcceptedNames}.", nameof(dtype)),
    };
}
