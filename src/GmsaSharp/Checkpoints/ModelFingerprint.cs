using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace GmsaSharp.Checkpoints;

/// <summary>
/// Short identities of weights. A base model's (<see cref="OfSampled"/>) hashes its config and, for every
/// parameter, its name, shape and an evenly strided sample of its values rounded to bf16: any retraining or
/// fine-tuning changes it, while hashing stays fast for 7B models. Small trained weight sets (a GMSA
/// checkpoint) are hashed exactly (<see cref="OfTensors"/>, <see cref="OfStoredTensors"/>).
/// </summary>
internal static class ModelFingerprint
{
    private const int SamplesPerTensor = 4096;

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

    /// <summary>The base-model fingerprint: <paramref name="configJson"/>, then every parameter's name, shape and
    /// <see cref="Sample"/> (given by <paramref name="sampleOf"/>, from the stored tensor when the model was loaded
    /// from files), in the model's parameter order.</summary>
    public static string OfSampled(string configJson, IEnumerable<(string Name, long[] Shape)> parameters, Func<string, byte[]> sampleOf)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(configJson));
        foreach ((string name, long[] shape) in parameters)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name + "[" + string.Join(",", shape) + "]"));
            hash.AppendData(sampleOf(name));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
