using GmsaSharp.Models;
using GmsaSharp.Tests.Support;
using GmsaSharp.Training;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Training;

/// <summary>The next-token loss projects only the positions that carry a loss onto the vocabulary; it must be the mean
/// cross-entropy over exactly the counted tokens, as the whole-sequence logits give it.</summary>
public sealed class DecoderLossTests
{
    [Fact]
    public void TheNextTokenLossIsTheMeanCrossEntropyOfTheCountedTokensOnly()
    {
        using CausalLM lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 5);
        int[] first = [3, 17, 42, 8, 95, 5, 61];
        int[] second = [7, 7, 12, 30];
        int[] third = [11, 2, 90, 14, 6];
        bool[] answerOnly = [false, false, false, false, true, true, false];   // tokens 4 and 5 carry the loss
        (int[], bool[]?)[] batch = [(first, answerOnly), (second, null), (third, [false, true, false, false, true])];

        (Tensor loss, long tokens) = DecoderLoss.NextToken(lm, batch);

        // Reference: logits of every position of each sequence alone, the counted targets picked by hand.
        double sum = 0;
        int counted = 0;
        using (no_grad())
        {
            foreach ((int[] ids, bool[]? trained) in batch)
            {
                using Tensor logits = lm.Forward(tensor(ids.Select(id => (long)id).ToArray()).unsqueeze(0))[0];
                using Tensor logProbabilities = logits.log_softmax(-1);
                for (int i = 1; i < ids.Length; i++)
                {
                    if (trained is null || trained[i])
                    {
                        sum -= logProbabilities[i - 1, ids[i]].item<float>();
                        counted++;
                    }
                }
            }
        }
        Assert.Equal(2 + 3 + 2, counted);
        Assert.Equal(counted, tokens);
        Assert.Equal(sum / counted, loss.item<float>(), 4);
        loss.Dispose();
    }
}
