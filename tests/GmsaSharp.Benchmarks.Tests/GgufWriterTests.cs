using System.Text;
using GmsaSharp.Benchmarks.LlamaCpp;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using static TorchSharp.torch;

namespace GmsaSharp.Benchmarks.Tests;

/// <summary>The GGUF layout details that llama.cpp relies on and that the agreement test cannot single out.</summary>
public sealed class GgufWriterTests
{
    [Fact]
    public void FileStartsWithTheHeaderAndAlignsTheTensorData()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "small.gguf");
        var gguf = new GgufWriter();
        gguf.Add("general.architecture", "llama");
        gguf.AddTensor("a", [2, 3], GgmlType.F32, new byte[24]);
        gguf.AddTensor("b", [5], GgmlType.F32, Enumerable.Repeat((byte)7, 20).ToArray());
        gguf.Write(path);

        byte[] file = File.ReadAllBytes(path);
        using var reader = new BinaryReader(new MemoryStream(file));
        Assert.Equal("GGUF", Encoding.ASCII.GetString(reader.ReadBytes(4)));
        Assert.Equal(3u, reader.ReadUInt32());
        Assert.Equal(2ul, reader.ReadUInt64());
        Assert.Equal(2ul, reader.ReadUInt64()); // general.alignment and general.architecture
        // The last tensor (20 bytes of 7) starts at an aligned offset and the file ends aligned after it.
        Assert.Equal(0, file.Length % GgufWriter.Alignment);
        int last = file.Length - GgufWriter.Alignment;
        Assert.Equal(Enumerable.Repeat((byte)7, 20), file[last..(last + 20)]);
    }

    [Fact]
    public void DimensionsAreWrittenInnermostFirst()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "shape.gguf");
        var gguf = new GgufWriter();
        gguf.AddTensor("w", [2, 3], GgmlType.F32, new byte[24]);
        gguf.Write(path);

        byte[] file = File.ReadAllBytes(path);
        byte[] name = [1, 0, 0, 0, 0, 0, 0, 0, (byte)'w', 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0];
        Assert.True(file.AsSpan().IndexOf(name) > 0, "tensor info 'w' with dimensions [3, 2]");
    }

    [Fact]
    public void WrongByteCountsAndRepeatedNamesAreErrors()
    {
        var gguf = new GgufWriter();
        Assert.Contains("needs 24 bytes", Assert.Throws<ArgumentException>(() => gguf.AddTensor("a", [2, 3], GgmlType.F32, new byte[12])).Message);
        gguf.AddTensor("a", [2, 3], GgmlType.BF16, new byte[12]);
        Assert.Contains("added twice", Assert.Throws<ArgumentException>(() => gguf.AddTensor("a", [1], GgmlType.F32, new byte[4])).Message);
        Assert.Contains("added twice", Assert.Throws<ArgumentException>(() => gguf.Add("general.alignment", 64u)).Message);
        Assert.Contains("multiple of 32", Assert.Throws<ArgumentException>(() => gguf.AddTensor("q", [2, 16], GgmlType.Q8_0, new byte[34])).Message);
    }

    [Fact]
    public void RotateHalfToPairsInterleavesEachHeadsHalves()
    {
        // Two heads of dimension 4, one input column: rows (0 1 | 2 3) and (4 5 | 6 7) in rotate-half order.
        using Tensor weight = arange(8, dtype: ScalarType.Float32).reshape(8, 1);
        using Tensor permuted = LlamaGgufExport.RotateHalfToPairs(weight, heads: 2);
        Assert.Equal(new float[] { 0, 2, 1, 3, 4, 6, 5, 7 }, permuted.reshape(8).data<float>().ToArray());
    }

    [Fact]
    public void Q8BlocksKeepEachValueWithinHalfAStep()
    {
        float[] values = Enumerable.Range(0, 64).Select(i => MathF.Sin(i) * (i < 32 ? 1 : 100)).ToArray();
        byte[] blocks = Q8Block.Quantize(values);
        Assert.Equal(2 * Q8Block.Bytes, blocks.Length);
        for (int block = 0; block < 2; block++)
        {
            float scale = (float)BitConverter.ToHalf(blocks, block * Q8Block.Bytes);
            for (int i = 0; i < Q8Block.Size; i++)
            {
                float restored = scale * (sbyte)blocks[block * Q8Block.Bytes + 2 + i];
                Assert.True(Math.Abs(restored - values[block * Q8Block.Size + i]) <= scale * 0.51, $"block {block} value {i}");
            }
        }
    }

    [Fact]
    public void ArchitecturesLlamaCppWouldComputeDifferentlyAreRefused()
    {
        var config = new DecoderConfig
        {
            Architecture = DecoderArchitecture.Qwen3, VocabSize = 2048, HiddenSize = 64, IntermediateSize = 128,
            Layers = 1, Heads = 2, KvHeads = 1, HeadDim = 32, QkNorm = true,
        };
        using CausalLM lm = CausalLM.CreateRandom(config, ComputeEnvironment.Select(new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 }), seed: 1);
        using var folder = new TempFolder();
        var error = Assert.Throws<NotSupportedException>(() => LlamaGgufExport.Write(lm, BundledModel.Base, Path.Combine(folder.Path, "q.gguf"), GgmlType.F32));
        Assert.Contains("architecture Qwen3", error.Message);
        Assert.Contains("q/k norms", error.Message);
    }

    [Fact]
    public void AnUnknownPreTokenizerIsAnError()
    {
        using var folder = new TempFolder();
        string json = File.ReadAllText(Path.Combine(BundledModel.Base, "tokenizer.json")).Replace(@"\\p{N}|", @"\\p{N}{1,2}|", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder.Path, "tokenizer.json"), json);
        File.Copy(Path.Combine(BundledModel.Base, "tokenizer_config.json"), Path.Combine(folder.Path, "tokenizer_config.json"));
        var error = Assert.Throws<NotSupportedException>(() => ByteLevelBpeVocabulary.Load(folder.Path, 2048));
        Assert.Contains(@"\p{N}{1,2}", error.Message);
    }
}
