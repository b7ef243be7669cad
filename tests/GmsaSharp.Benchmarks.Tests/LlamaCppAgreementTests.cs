using GmsaSharp.Benchmarks.LlamaCpp;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GmsaSharp.Benchmarks.Tests;

/// <summary>
/// llama.cpp, reading the GGUF our writer makes of the bundled base, computes what our decoder computes: the
/// same token ids for the sample document and, in float32 with flash attention off and an f32 KV cache, the
/// same logits to rounding at every position. This is what makes the benchmarks' llama.cpp rows a comparison
/// of engines on the same model.
/// </summary>
public sealed class LlamaCppAgreementTests(ITestOutputHelper output)
{
    private const int Positions = 300;

    [Fact]
    public void LlamaCppMatchesOurDecoderOnTheBundledBase()
    {
        using var folder = new TempFolder();
        string gguf = Path.Combine(folder.Path, "base-f32.gguf");
        using CausalLM lm = CausalLM.FromPretrained(BundledModel.Base, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32, Threads = 2 });
        LlamaGgufExport.Write(lm, BundledModel.Base, gguf, GgmlType.F32);
        string document = File.ReadAllText(Path.Combine(BundledModel.Folder, "sample-document.txt"));
        int[] ours = lm.Tokenizer!.Encode(document).ToArray();
        Assert.True(ours.Length > Positions, $"the sample document has {ours.Length} tokens, fewer than {Positions}");

        using LlamaCppModel llamaCpp = LlamaCppModel.Load(gguf, contextSize: Positions, threads: 2);
        Assert.Equal(lm.Config.VocabSize, llamaCpp.VocabSize);
        Assert.Equal(ours, llamaCpp.Tokenize(document));

        int[] ids = ours[..Positions];
        float[][] expected;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            Tensor logits = lm.Forward(tensor(ids.Select(id => (long)id).ToArray()).unsqueeze(0))[0];
            expected = Enumerable.Range(0, Positions).Select(p => logits[p].data<float>().ToArray()).ToArray();
        }
        float[][] actual = llamaCpp.AllLogits(ids);

        double worst = 0;
        for (int p = 0; p < Positions; p++)
        {
            Assert.Equal(ArgMax(expected[p]), ArgMax(actual[p]));
            worst = Math.Max(worst, expected[p].Zip(actual[p], (a, b) => (double)Math.Abs(a - b)).Max());
        }
        // Both engines sum in float32 in different orders; a wrong permutation or layout is off by whole units.
        Assert.True(worst < 1e-3, $"largest logit difference {worst}");

        double ourLoss = MeanNll(expected, ids), theirLoss = MeanNll(actual, ids);
        output.WriteLine($"{Positions} positions: largest logit difference {worst:G3}, mean NLL ours {ourLoss:G9} llama.cpp {theirLoss:G9}");
        Assert.True(Math.Abs(ourLoss - theirLoss) / ourLoss < 1e-5, $"mean NLL of the next tokens: ours {ourLoss}, llama.cpp {theirLoss}");
    }

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    // Mean negative log-likelihood of each next token, computed in double.
    private static double MeanNll(float[][] logits, int[] ids)
    {
        double total = 0;
        for (int p = 0; p + 1 < ids.Length; p++)
        {
            double max = logits[p].Max();
            double logSum = Math.Log(logits[p].Sum(x => Math.Exp(x - max))) + max;
            total += logSum - logits[p][ids[p + 1]];
        }
        return total / (ids.Length - 1);
    }
}
