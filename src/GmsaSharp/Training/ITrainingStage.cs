using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>What a training stage (pretrain, autoencode, KEFT) tells the <see cref="Trainer"/>.</summary>
public interface ITrainingStage
{
    /// <summary>The stage's name, recorded in checkpoints so a resume continues the same stage.</summary>
    string Name { get; }

    /// <summary>The parameters this stage optimises, by stable name; every other parameter stays frozen.</summary>
    IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters { get; }

    /// <summary>The loss of micro-batch <paramref name="index"/> (mean per predicted token) and how many tokens it predicts.
    /// The data must depend only on the index and the seed, so a resumed run sees what the uninterrupted one would.</summary>
    (Tensor Loss, long Tokens) MicroBatchLoss(long index, int batchSize, long seed);

    /// <summary>Switches dropout on (training) or off.</summary>
    void SetTraining(bool training);

    /// <summary>Writes the trained model in its usable form (an HF folder, a GMSA checkpoint folder).</summary>
    void SaveArtifact(string directory);
}
