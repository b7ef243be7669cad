using System.Text.Json.Nodes;
using GmsaSharp.Models;
using GmsaSharp.Tests.Checkpoints;
using GmsaSharp.Tests.Models;

namespace GmsaSharp.Tests.Support;

/// <summary>A random Llama with a real byte-level BPE tokenizer in one HF folder: text in, text out.</summary>
internal static class TinyTextModel
{
    public const string EosToken = "<|endoftext|>";

    /// <summary>Writes the folder and returns the EOS id.</summary>
    public static int Write(string directory, long seed = 41)
    {
        var tokenizer = ByteLevelBpeFixture.Train();
        int vocabulary = tokenizer.FirstAddedId + ByteLevelBpeFixture.AddedTokens.Length;
        int eos = tokenizer.AddedId(EosToken);
        using (var lm = CausalLM.CreateRandom(CausalLMTests.SmallConfig() with { VocabSize = vocabulary, EosTokenIds = [eos] }, CausalLMTests.Fp32, seed))
        {
            lm.SavePretrained(directory);
        }
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), tokenizer.ToJson().ToJsonString());
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), new JsonObject { ["eos_token"] = EosToken, ["add_bos_token"] = false }.ToJsonString());
        return eos;
    }
}
