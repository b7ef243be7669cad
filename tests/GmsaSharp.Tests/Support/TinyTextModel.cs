using System.Text.Json.Nodes;
using GmsaSharp.Models;
using GmsaSharp.Tests.Models;

namespace GmsaSharp.Tests.Support;

/// <summary>A random Llama with a real byte-level BPE tokenizer in one HF folder: text in, text out.</summary>
internal static class TinyTextModel
{
    public const string EosToken = "<|endoftext|>";

    /// <summary>Writes the folder and returns the EOS id. <paramref name="expressive"/> scales weights like a trained
    /// model (unit embeddings, 1/sqrt(fan-in) matrices), so outputs depend strongly on inputs, which training tests need;
    /// CausalLM.CreateRandom's std 0.02 gives near-uniform logits whatever the input.</summary>
    public static int Write(string directory, long seed = 41, bool expressive = false)
    {
        var tokenizer = ByteLevelBpeFixture.Train();
        int vocabulary = tokenizer.FirstAddedId + ByteLevelBpeFixture.AddedTokens.Length;
        int eos = tokenizer.AddedId(EosToken);
        using (var lm = CausalLM.CreateRandom(SmallDecoder.Config() with { VocabSize = vocabulary, EosTokenIds = [eos] }, SmallDecoder.Fp32, seed))
        {
            if (expressive)
            {
                using var noGrad = TorchSharp.torch.no_grad();
                foreach ((string name, var parameter) in lm.named_parameters())
                {
                    if (parameter.dim() == 2)
                    {
                        double std = name.Contains("embed_tokens", StringComparison.Ordinal) ? 1.0 : 1.0 / Math.Sqrt(parameter.shape[1]);
                        parameter.mul_(std / 0.02);
                    }
                }
            }
            lm.SavePretrained(directory);
        }
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), tokenizer.ToJson().ToJsonString());
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), new JsonObject { ["eos_token"] = EosToken, ["add_bos_token"] = false }.ToJsonString());
        return eos;
    }
}
