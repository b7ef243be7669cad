using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using GmsaSharp.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Checkpoints;

/// <summary>
/// A short identity of a base model's weights, so compressors and compressed contexts refuse a base they
/// were not made for. It hashes the config and, for every parameter, its name, shape and an evenly strided
/// sample of its values rounded to bf16: any retraining or fine-tuning changes it, while hashing stays fast for 7B models.
/// A model loaded from files is fingerprinted from the stored values, before conversion to the compute dtype:
/// float16 cannot hold every bf16 value (tiny ones lose bits), so fingerprinting its copy would make the
/// same base look different.
/// </summary>
public static class ModelFingerprint
{
    private const int SamplesPerTensor = 4096;
    private static readonly ConditionalWeakTable<CausalLM, string> Cache = new();

    /// <summary>The fingerprint of <paramref name="lm"/>: of the stored values when it was loaded from files,
    /// else of its parameters when first asked.</summary>
    public static string Of(CausalLM lm) => Cache.GetValue(lm, model =>
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return Combine(model, name => Sample(parameters[name]));
    });

    /// <summary>Records the fingerprint of a model just loaded, from the bf16 samples of its stored tensors by name
    /// (see <see cref="Sample"/>).</summary>
    internal static void RecordLoaded(CausalLM lm, IReadOnlyDictionary<string, byte[]> samples) =>
        Cache.AddOrUpdate(lm, Combine(lm, name => samples[name]));

    /// <summary>The strided bf16 sample of one tensor that the fingerprint hashes (any dtype, any device).</summary>
    internal static byte[] Sample(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor flat = tensor.detach().flatten();
        long stride = Math.Max(1, flat.shape[0] / SamplesPerTensor);
        // Rounded to bf16 so the same weights stored or loaded in fp32 or bf16 give the same fingerprint.
        return flat.slice(0, 0, flat.shape[0], stride).to(ScalarType.BFloat16).cpu().contiguous().bytes.ToArray();
    }

    /// <summary>SHA-256 of the given named tensors' exact values (as fp32), hex (for small trained weight sets).</summary>
    public static string OfTensors(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((string name, Tensor tensor) in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            AppendExact(hash, name, tensor);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary><see cref="OfTensors"/> of every tensor stored in <paramref name="file"/>, read one at a time, so a
    /// checkpoint's identity does not depend on the dtype it is loaded in.</summary>
    public static string OfStoredTensors(SafetensorsFile file)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string name in file.Entries.Keys.Order(StringComparer.Ordinal))
        {
            using Tensor stored = file.Read(name);
            AppendExact(hash, name, stored);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static void AppendExact(IncrementalHash hash, string name, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        hash.AppendData(Encoding.UTF8.GetBytes(name + "[" + string.Join(",", tensor.shape) + "]"));
        hash.AppendData(tensor.detach().cpu().to(ScalarType.Float32).contiguous().bytes);
    }

    private static string Combine(CausalLM lm, Func<string, byte[]> sampleOf)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(lm.Config.ToJson().ToJsonString()));
        foreach ((string name, Parameter parameter) in lm.named_parameters())
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name + "[" + string.Join(",", parameter.shape) + "]"));
            hash.AppendData(sampleOf(name));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
