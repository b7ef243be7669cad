using System.Buffers.Binary;
using CsCheck;
using GmsaSharp.Checkpoints;
using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Reliability;

/// <summary>
/// Truncations and byte flips of the files a compressed answer depends on: the base's safetensors and config.json,
/// the GMSA weights and config, and a saved .gmsa context. Every damaged copy must give an error that names the file
/// (the exception kinds the CLI reports with exit code 2), or the very answer the intact files give: never a crash,
/// and never a different answer. Base weights carry no checksum (see README), so flips there are drawn in the
/// header only; their data bytes are checked for NaN/Inf and nothing more. The question goes in as token ids, so the
/// text templates of gmsa_config.json (an editable file, not checksummed) play no part. Fixed seeds and bounded iterations keep
/// this deterministic and fast.
/// </summary>
public sealed class FaultInjectionTests : IDisposable
{
    private const string Seed = "0N0XIzNsQ0O2";
    private const int Iterations = 16;
    private static readonly int[] Document = Enumerable.Range(0, 40).Select(i => (i * 31 + 5) % 250).ToArray();
    private static readonly GenerationOptions Options = new() { MaxNewTokens = 4, StopAtEos = false };

    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-faults-").FullName;
    private readonly int[] _expected;

    public FaultInjectionTests()
    {
        TinyTextModel.Write(P("intact/model"));
        using (CausalLM lm = LoadModel(P("intact/model")))
        using (var compressor = GmsaCompressor.Create(lm, new GmsaOptions { EncoderLayers = 1, EncoderLora = new LoraSettings(4, 8, 0, LoraSettings.AllProjections), WindowSize = 16, Seed = 3 }))
        {
            compressor.AddKeftAdapters(new LoraSettings(4, 8, 0, LoraSettings.QueryKeyValue), seed: 4);
            compressor.SavePretrained(P("intact/gmsa"));
            using CompressedContext context = compressor.CompressTokens(Document, rate: 4);
            context.Save(P("intact/doc.gmsa"));
        }
        _expected = Answer(P("intact"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string P(string name) => Path.Combine(_directory, name);

    private static CausalLM LoadModel(string folder) => CausalLM.FromPretrained(folder, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });

    // The whole path from files to an answer: load the base, the compressor and the saved context, then answer.
    private static int[] Answer(string root)
    {
        using CausalLM lm = LoadModel(Path.Combine(root, "model"));
        using var compressor = GmsaCompressor.FromPretrained(Path.Combine(root, "gmsa"), lm);
        using CompressedContext context = CompressedContext.Load(Path.Combine(root, "doc.gmsa"));
        return compressor.AnswerTokens(context, [9, 10, 11], Options).ToArray();
    }

    public static TheoryData<string, bool> Files => new()
    {
        { "model/model.safetensors", true },
        { "model/config.json", false },
        { "gmsa/gmsa.safetensors", false },
        { "gmsa/gmsa_config.json", false },
        { "doc.gmsa", false },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void ATruncatedFileGivesANamedErrorOrTheSameAnswer(string file, bool _)
    {
        long length = new FileInfo(P("intact/" + file)).Length;
        Gen.Long[0, length - 1].Sample(keep => Check(file, bytes => bytes[..(int)keep]), seed: Seed, iter: Iterations, threads: 1);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void AFlippedByteGivesANamedErrorOrTheSameAnswer(string file, bool headerOnly)
    {
        byte[] intact = File.ReadAllBytes(P("intact/" + file));
        // A safetensors header is 8 length bytes and then the JSON header.
        int end = headerOnly ? 8 + (int)BinaryPrimitives.ReadInt64LittleEndian(intact) : intact.Length;
        Gen.Select(Gen.Int[0, end - 1], Gen.Int[0, 7]).Sample((offset, bit) => Check(file, bytes =>
        {
            bytes[offset] ^= (byte)(1 << bit);
            return bytes;
        }), seed: Seed, iter: Iterations, threads: 1);
    }

    private void Check(string file, Func<byte[], byte[]> damage)
    {
        string root = P("damaged");
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        foreach (string path in Directory.EnumerateFiles(P("intact"), "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(root, Path.GetRelativePath(P("intact"), path));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(path, copy);
        }
        string target = Path.Combine(root, file);
        File.WriteAllBytes(target, damage(File.ReadAllBytes(target)));
        try
        {
            Assert.Equal(_expected, Answer(root));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or InvalidOperationException or FormatException or NotSupportedException)
        {
            Assert.True(e.Message.Contains(target, StringComparison.Ordinal) || e.Message.Contains(Path.GetDirectoryName(target)!, StringComparison.Ordinal),
                $"The error does not name the damaged file {file}: {e.GetType().Name}: {e.Message}");
        }
    }
}
