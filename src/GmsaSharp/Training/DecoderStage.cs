using GmsaSharp.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>What the decoder stages (pretraining, full-context QA) share: every weight of one decoder trained on
/// next-token prediction over prepared token sequences, drawn in a seeded epoch order.</summary>
public abstract class DecoderStage
{
    private readonly List<(int[] Tokens, bool[]? Trained)> _sequences = [];
    private readonly long _seed;
    private EpochSampler? _sampler;

    private protected DecoderStage(CausalLM lm, long seed)
    {
        Lm = lm;
        _seed = seed;
    }

    /// <summary>The decoder being trained.</summary>
    private protected CausalLM Lm { get; }

    /// <summary>Training sequences.</summary>
    public int Sequences => _sequences.Count;

    /// <summary>The sequences' tokens and which of them carry a loss (null: every prediction).</summary>
    private protected IReadOnlyList<(int[] Tokens, bool[]? Trained)> SequenceList => _sequences;

    /// <summary>Adds a training sequence; <paramref name="trained"/> marks the tokens predicted with a loss (null: all).</summary>
    private protected void AddSequence(int[] tokens, bool[]? trained) => _sequences.Add((tokens, trained));

    /// <summary>Fixes the sample order and makes every decoder weight trainable; called once every sequence is added.</summary>
    private protected void Prepared()
    {
        _sampler = new EpochSampler(_sequences.Count, _seed);
        foreach (Parameter parameter in Lm.parameters())
        {
            parameter.requires_grad = true;
        }
    }

    /// <summary>Every decoder weight, by its checkpoint name.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters => Lm.named_parameters().ToList();

    /// <summary>The mean next-token loss of micro-batch <paramref name="index"/>.</summary>
    public (Tensor Loss, long Tokens) MicroBatchLoss(long index, int batchSize, long seed)
    {
        EpochSampler sampler = _sampler ?? throw new InvalidOperationException("The stage's sequences are not prepared yet.");
        return DecoderLoss.NextToken(Lm, Enumerable.Range(0, batchSize).Select(j => _sequences[sampler.At(index * batchSize + j)]).ToArray());
    }

    /// <summary>Switches dropout on (training) or off.</summary>
    public void SetTraining(bool training) => Lm.train(training);

    /// <summary>Writes the trained decoder as a HuggingFace folder.</summary>
    public void SaveArtifact(string directory) => Lm.SavePretrained(directory);
}
