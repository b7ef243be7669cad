using System.Text.Json.Nodes;
using GmsaSharp.Checkpoints;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Models;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Checkpoints;

/// <summary>Loading HuggingFace folders and every way one can be wrong.</summary>
public sealed class ModelLoadingTests : IDisposable
{
    private static readonly ComputeOptions Cpu32 = new() { Device = "cpu", DType = ScalarType.Float32 };
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-model-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string SaveSmallModel(DecoderConfig? config = null)
    {
        using var lm = CausalLM.CreateRandom(config ?? SmallDecoder.Config(), SmallDecoder.Fp32, seed: 31);
        lm.SavePretrained(_directory);
        return _directory;
    }

    private static Tensor Logits(CausalLM lm) => lm.Forward(SmallDecoder.Ids(1, 2, 3, 4, 5));

    [Fact]
    public void SaveThenLoadGivesTheSameModel()
    {
        using var original = CausalLM.CreateRandom(SmallDecoder.Config(DecoderArchitecture.Qwen3), SmallDecoder.Fp32, seed: 32);
        original.SavePretrained(_directory);

        using var loaded = CausalLM.FromPretrained(_directory, Cpu32);

        using var scope = NewDisposeScope();
        Assert.Equal(DecoderArchitecture.Qwen3, loaded.Config.Architecture);
        Assert.True(Logits(original).allclose(Logits(loaded), rtol: 0, atol: 0));
    }

    [Fact]
    public void ShardedAndSingleFileCheckpointsLoadTheSameModel()
    {
        string single = SaveSmallModel();
        string sharded = Path.Combine(_directory, "sharded");
        Directory.CreateDirectory(sharded);
        File.Copy(Path.Combine(single, "config.json"), Path.Combine(sharded, "config.json"));
        using (var file = SafetensorsFile.Open(Path.Combine(single, HfWeightFiles.SingleFile)))
        {
            var names = file.Entries.Keys.Order().ToArray();
            var weightMap = new JsonObject();
            for (int shard = 0; shard < 2; shard++)
            {
                string shardName = $"model-0000{shard + 1}-of-00002.safetensors";
                var part = names.Where((_, i) => i % 2 == shard).ToArray();
                var tensors = part.Select(name => new KeyValuePair<string, Tensor>(name, file.Read(name))).ToList();
                SafetensorsFile.Write(Path.Combine(sharded, shardName), tensors);
                tensors.ForEach(t => t.Value.Dispose());
                foreach (string name in part)
                {
                    weightMap[name] = shardName;
                }
            }
            File.WriteAllText(Path.Combine(sharded, HfWeightFiles.IndexFile), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = weightMap }.ToJsonString());
        }

        using var fromSingle = CausalLM.FromPretrained(single, Cpu32);
        using var fromShards = CausalLM.FromPretrained(sharded, Cpu32);

        using var scope = NewDisposeScope();
        Assert.True(Logits(fromSingle).allclose(Logits(fromShards), rtol: 0, atol: 0));
    }

    [Fact]
    public void Bf16WeightsLoadIntoAFloat32Model()
    {
        var bf16 = ComputeEnvironment.Select(new ComputeOptions { Device = "cpu", DType = ScalarType.BFloat16 });
        using (var stored = CausalLM.CreateRandom(SmallDecoder.Config(), bf16, seed: 33))
        {
            stored.SavePretrained(_directory);
        }

        using var loaded = CausalLM.FromPretrained(_directory, Cpu32);

        Assert.Equal(ScalarType.Float32, loaded.Decoder.EmbeddingWeight.dtype);
        using var file = SafetensorsFile.Open(Path.Combine(_directory, HfWeightFiles.SingleFile));
        Assert.Equal(ScalarType.BFloat16, file.Entries["model.embed_tokens.weight"].DType);
        using Tensor storedEmbedding = file.Read("model.embed_tokens.weight");
        Assert.True(storedEmbedding.to(ScalarType.Float32).allclose(loaded.Decoder.EmbeddingWeight, rtol: 0, atol: 0));
    }

    [Fact]
    public void AMissingTensorIsNamed()
    {
        string directory = SaveSmallModel();
        RewriteWeights(directory, tensors => tensors.Where(t => t.Key != "model.layers.1.mlp.up_proj.weight"));

        var error = Assert.Throws<InvalidDataException>(() => CausalLM.FromPretrained(directory, Cpu32));

        Assert.Contains("model.layers.1.mlp.up_proj.weight", error.Message);
        Assert.Contains("lacks 1 tensor", error.Message);
    }

    [Fact]
    public void AnUnexpectedTensorIsNamedWithItsFile()
    {
        string directory = SaveSmallModel();
        RewriteWeights(directory, tensors => tensors.Append(new("model.layers.9.extra.weight", zeros(2))));

        var error = Assert.Throws<InvalidDataException>(() => CausalLM.FromPretrained(directory, Cpu32));

        Assert.Contains("model.layers.9.extra.weight", error.Message);
        Assert.Contains(HfWeightFiles.SingleFile, error.Message);
    }

    [Fact]
    public void AWrongShapeIsNamedWithBothShapes()
    {
        string directory = SaveSmallModel();
        RewriteWeights(directory, tensors => tensors.Select(t => t.Key == "model.norm.weight" ? new KeyValuePair<string, Tensor>(t.Key, ones(31)) : t));

        var error = Assert.Throws<InvalidDataException>(() => CausalLM.FromPretrained(directory, Cpu32));

        Assert.Contains("'model.norm.weight' has shape [31] but the model expects [32]", error.Message);
    }

    [Fact]
    public void ATruncatedFileIsReportedAsSuch()
    {
        string directory = SaveSmallModel();
        string weights = Path.Combine(directory, HfWeightFiles.SingleFile);
        byte[] bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length - 100)]);

        var error = Assert.Throws<InvalidDataException>(() => CausalLM.FromPretrained(directory, Cpu32));

        Assert.Contains(weights, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void AnUnknownArchitectureListsTheSupportedOnes()
    {
        string directory = SaveSmallModel();
        EditConfig(directory, config => config["architectures"] = new JsonArray("GPTNeoXForCausalLM"));

        var error = Assert.Throws<NotSupportedException>(() => CausalLM.FromPretrained(directory, Cpu32));

        Assert.Contains("GPTNeoXForCausalLM", error.Message);
        Assert.Contains("Qwen3ForCausalLM", error.Message);
    }

    [Theory]
    [InlineData("hidden_size", "\"wide\"", "must be an integer")]
    [InlineData("num_key_value_heads", "3", "does not divide num_attention_heads 4")]
    [InlineData("vocab_size", "-5", "must be positive")]
    [InlineData("hidden_act", "\"gelu\"", "only silu")]
    public void AMalformedConfigNamesTheField(string field, string value, string problem)
    {
        string directory = SaveSmallModel();
        EditConfig(directory, config => config[field] = JsonNode.Parse(value));

        var error = Assert.Throws<InvalidDataException>(() => CausalLM.FromPretrained(directory, Cpu32));

        Assert.Contains(Path.Combine(directory, "config.json"), error.Message);
        Assert.Contains($"'{field}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void ConfigThatIsNotJsonIsReported()
    {
        string directory = SaveSmallModel();
        File.WriteAllText(Path.Combine(directory, "config.json"), "{ not json");

        var error = Assert.Throws<InvalidDataException>(() => CausalLM.FromPretrained(directory, Cpu32));

        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void MissingFolderOrWeightsAreReported()
    {
        Assert.Throws<DirectoryNotFoundException>(() => CausalLM.FromPretrained(Path.Combine(_directory, "nowhere"), Cpu32));
        string directory = SaveSmallModel();
        File.Delete(Path.Combine(directory, HfWeightFiles.SingleFile));

        var error = Assert.Throws<FileNotFoundException>(() => CausalLM.FromPretrained(directory, Cpu32));
        Assert.Contains(HfWeightFiles.IndexFile, error.Message);
    }

    [Fact]
    public void AShardIndexNamingAMissingFileIsReported()
    {
        string directory = SaveSmallModel();
        File.WriteAllText(Path.Combine(directory, HfWeightFiles.IndexFile), """{"weight_map": {"model.norm.weight": "model-00009-of-00009.safetensors"}}""");

        var error = Assert.Throws<FileNotFoundException>(() => CausalLM.FromPretrained(directory, Cpu32));

        Assert.Contains("model-00009-of-00009.safetensors", error.Message);
        Assert.Contains("model.norm.weight", error.Message);
    }

    [Fact]
    public void TiedCheckpointsMayStillStoreLmHead()
    {
        string directory = SaveSmallModel(SmallDecoder.Config() with { TieWordEmbeddings = true });
        RewriteWeights(directory, tensors => tensors.Append(new("lm_head.weight", zeros(97, 32))));

        using var loaded = CausalLM.FromPretrained(directory, Cpu32);

        Assert.True(loaded.Config.TieWordEmbeddings);
    }

    private static void EditConfig(string directory, Action<JsonObject> edit)
    {
        string path = Path.Combine(directory, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
    }

    private static void RewriteWeights(string directory, Func<IEnumerable<KeyValuePair<string, Tensor>>, IEnumerable<KeyValuePair<string, Tensor>>> edit)
    {
        string path = Path.Combine(directory, HfWeightFiles.SingleFile);
        List<KeyValuePair<string, Tensor>> tensors;
        using (var file = SafetensorsFile.Open(path))
        {
            tensors = file.Entries.Keys.Select(name => new KeyValuePair<string, Tensor>(name, file.Read(name))).ToList();
        }
        var edited = edit(tensors).ToList();
        SafetensorsFile.Write(path, edited);
        edited.ForEach(t => t.Value.Dispose());
    }
}
