using GmsaSharp.Models;
using GmsaSharp.Runtime;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Support;

/// <summary>A small random decoder's settings, shared by the tests that need a model but no reference outputs.</summary>
internal static class SmallDecoder
{
    /// <summary>fp32 on the CPU: exact comparisons.</summary>
    public static readonly ComputeEnvironment Fp32 = ComputeEnvironment.Select(new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });

    /// <summary>Two blocks, grouped-query attention, the <paramref name="architecture"/>'s variations.</summary>
    public static DecoderConfig Config(DecoderArchitecture architecture = DecoderArchitecture.Llama, int? slidingWindow = null) => new()
    {
        Architecture = architecture,
        VocabSize = 97,
        HiddenSize = 32,
        IntermediateSize = 64,
        Layers = 2,
        Heads = 4,
        KvHeads = 2,
        HeadDim = 8,
        MaxPositionEmbeddings = 128,
        QkvBias = architecture == DecoderArchitecture.Qwen2,
        QkNorm = architecture == DecoderArchitecture.Qwen3,
        SlidingWindow = slidingWindow,
        EosTokenIds = [2],
    };

    /// <summary>One sequence of token ids, [1, n].</summary>
    public static Tensor Ids(params long[] ids) => tensor(ids, dtype: ScalarType.Int64).unsqueeze(0);
}
