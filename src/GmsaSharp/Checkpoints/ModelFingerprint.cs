using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using GmsaSharp.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Checkpoints;

/// <summary>
/// A short identity of a base model's weights, so compressors and compressed contexts refuse a base they
/// were not made for. It hashes the config and, for every parameter, its name, shape and an evenly strided
/// sample of its values rounded to bf16: any retraining or fine-tuning changes it, while hashing stays fast for 7B models.
/// </summary>
public static class ModelFingerprint
{
    private const int SamplesPerTensor = 4096;
    private static readonly ConditionalWeakTable<CausalLM, string> Cache = new();

    /// <summary>The fingerprint of <paramref name="lm"/> (computed once per instance).</summary>
    public static string Of(CausalLM lm) => Cache.GetValue(lm, Compute);

    /// <summary>SHA-256 of the given named tensors' exact bytes, hex (for small trained weight sets).</summary>
    public static string OfTensors(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((string name, Tensor tensor) in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            using var scope = NewDisposeScope();
            hash.AppendData(Encoding.UTF8.GetBytes(name + "[" + string.Join(",", tensor.shape) + "]"));
            hash.AppendData(tensor.detach().cpu().to(ScalarType.Float32).contiguous().bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static string Compute(CausalLM lm)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(lm.Config.ToJson().ToJsonString()));
        using var noGrad = no_grad();
        foreach ((string name, Parameter parameter) in lm.named_parameters())
        {
            using var scope = NewDisposeScope();
            Tensor flat = parameter.detach().flatten();
            long stride = Math.Max(1, flat.shape[0] / SamplesPerTensor);
            // Rounded to bf16 so the same weights loaded in fp32 or bf16 give the same fingerprint.
            Tensor sample = flat.slice(0, 0, flat.shape[0], stride).to(ScalarType.BFloat16).cpu().contiguous();
            hash.AppendData(Encoding.UTF8.GetBytes(name + "[" + string.Join(",", parameter.shape) + "]"));
            hash.AppendData(sample.bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
