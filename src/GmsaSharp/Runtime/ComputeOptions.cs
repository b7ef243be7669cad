using TorchSharp;

namespace GmsaSharp.Runtime;

/// <summary>Caller overrides for <see cref="ComputeEnvironment.Select"/>; null means "choose for me".</summary>
public sealed record ComputeOptions
{
    /// <summary>"cpu", "cuda" or "cuda:N"; null or "auto" picks CUDA when available, else CPU.</summary>
    public string? Device { get; init; }

    /// <summary>Compute dtype: float32, bfloat16 or float16; null picks per device.</summary>
    public torch.ScalarType? DType { get; init; }

    /// <summary>Intra-op CPU threads; null uses every logical processor.</summary>
    public int? Threads { get; init; }
}
