using GmsaSharp.Checkpoints;
using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Reliability;

/// <summary>Damaged files and non-finite numbers give an error naming what is wrong, never a silent wrong or blank answer;
/// the same base loaded in another dtype is still the same base.</summary>
public sealed class IntegrityTests : IDisposable
{
    private static readonly int[] Document = Enumerable.Range(0, 40).Select(i => (i * 31 + 5) % 250).ToArray();
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-integrity-").FullName;

    public IntegrityTests()
    {
        TinyTextModel.Write(P("model"));
        using CausalLM lm = Load(ScalarType.Float32);
        using var compressor = GmsaCompressor.Create(lm, TinyGmsaOptions.Small);
        compressor.AddKeftAdapters(new LoraSettings(4, 8, 0, LoraSettings.QueryKeyValue), seed: 4);
        compressor.SavePretrained(P("gmsa"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string P(string name) => Path.Combine(_directory, name);

    private CausalLM Load(ScalarType dtype) => CausalLM.FromPretrained(P("model"), new ComputeOptions { Device = "cpu", DType = dtype });

    [Fact]
    public void Float16LoadsTheSameBaseAndCompressesAndAnswers()
    {
        using CausalLM fp32 = Load(ScalarType.Float32);
        using CausalLM bf16 = Load(ScalarType.BFloat16);
        using CausalLM fp16 = Load(ScalarType.Float16);

        // float16 rounds fp32 weights differently from bf16; fingerprinting the stored values keeps the identity.
        Assert.Equal(fp32.Fingerprint, fp16.Fingerprint);
        Assert.Equal(fp32.Fingerprint, bf16.Fingerprint);
        using var compressor32 = GmsaCompressor.FromPretrained(P("gmsa"), fp32);
        using var compressor16 = GmsaCompressor.FromPretrained(P("gmsa"), fp16);
        Assert.Equal(compressor32.Fingerprint, compressor16.Fingerprint);
        using CompressedContext context = compressor16.CompressTokens(Document, rate: 4);
        Assert.Equal(5, compressor16.AnswerTokens(context, [9, 10], new GenerationOptions { MaxNewTokens = 5, StopAtEos = false }).Count());
        // A context saved in one dtype serves a compressor loaded in another.
        context.Save(P("fp16.gmsa"));
        using CompressedContext loaded = CompressedContext.Load(P("fp16.gmsa"));
        Assert.Equal(5, compressor32.AnswerTokens(loaded, [9, 10], new GenerationOptions { MaxNewTokens = 5, StopAtEos = false }).Count());
    }

    [Fact]
    public void AFlippedByteInACompressedContextIsRefusedByName()
    {
        using (CausalLM lm = Load(ScalarType.Float32))
        using (var compressor = GmsaCompressor.FromPretrained(P("gmsa"), lm))
        using (CompressedContext context = compressor.CompressTokens(Document, rate: 4))
        {
            context.Save(P("doc.gmsa"));
        }
        byte[] bytes = File.ReadAllBytes(P("doc.gmsa"));
        bytes[^3] ^= 0x01;
        File.WriteAllBytes(P("doc.gmsa"), bytes);

        var error = Assert.Throws<InvalidDataException>(() => CompressedContext.Load(P("doc.gmsa")));

        Assert.Contains(P("doc.gmsa"), error.Message);
        Assert.Contains("damaged", error.Message);
    }

    [Fact]
    public void AFlippedByteInGmsaWeightsIsRefusedByName()
    {
        string weights = Path.Combine(P("gmsa"), GmsaCheckpoint.WeightsFile);
        byte[] bytes = File.ReadAllBytes(weights);
        bytes[^7] ^= 0x01;
        File.WriteAllBytes(weights, bytes);
        using CausalLM lm = Load(ScalarType.Float32);

        var error = Assert.Throws<InvalidDataException>(() => GmsaCompressor.FromPretrained(P("gmsa"), lm));

        Assert.Contains(weights, error.Message);
        Assert.Contains("damaged", error.Message);
    }

    [Fact]
    public void NaNInStoredBaseWeightsIsRefusedNamingTheTensor()
    {
        string file = Path.Combine(P("model"), HfWeightFiles.SingleFile);
        Dictionary<string, Tensor> tensors;
        using (SafetensorsFile stored = SafetensorsFile.Open(file))
        {
            tensors = stored.Entries.Keys.ToDictionary(name => name, stored.Read);
        }
        tensors["model.norm.weight"][3] = float.NaN;
        SafetensorsFile.Write(file, tensors);

        var error = Assert.Throws<InvalidDataException>(() => Load(ScalarType.Float32));

        Assert.Contains("model.norm.weight", error.Message);
        Assert.Contains("NaN", error.Message);
    }

    [Fact]
    public void NaNReachingSoftTokensOrLogitsIsAnErrorNotABlankAnswer()
    {
        using CausalLM lm = Load(ScalarType.Float32);
        using var compressor = GmsaCompressor.FromPretrained(P("gmsa"), lm);
        using CompressedContext context = compressor.CompressTokens(Document, rate: 4);
        using (no_grad())
        {
            lm.Decoder.named_parameters().First(p => p.name == "norm.weight").parameter[0] = float.NaN;
        }

        var compress = Assert.Throws<InvalidDataException>(() => compressor.CompressTokens(Document, rate: 4));
        var answer = Assert.Throws<InvalidOperationException>(() => compressor.AnswerTokens(context, [9, 10], new GenerationOptions { MaxNewTokens = 3 }).ToList());
        var generate = Assert.Throws<InvalidOperationException>(() => TokenGenerator.Generate(lm, [9, 10], new GenerationOptions { MaxNewTokens = 3 }).ToList());

        Assert.Contains("NaN or infinite soft tokens", compress.Message);
        Assert.Contains("NaN or infinite logits", answer.Message);
        Assert.Contains("NaN or infinite logits", generate.Message);
    }
}
