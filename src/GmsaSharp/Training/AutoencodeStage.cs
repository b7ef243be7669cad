using GmsaSharp.Compression;
using GmsaSharp.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>
/// GMSA stage 1: the decoder (frozen) reads [soft tokens][instruction] and must restate the context, then
/// EOS; loss on that target only. Trainable: the encoder LoRA and the LSA blocks. Each sample draws its
/// compression rate from the configured set. Contexts longer than <c>maxContextTokens</c> follow the policy.
/// </summary>
public sealed class AutoencodeStage : CompressorStage, ITrainingStage
{
    private readonly List<int[]> _contexts = [];
    private readonly IReadOnlyList<int> _instruction;
    private readonly int _eos;
    private readonly EpochSampler _sampler;

    /// <summary>Prepares <paramref name="samples"/> (their <c>input</c> fields) for <paramref name="compressor"/>.</summary>
    public AutoencodeStage(GmsaCompressor compressor, IReadOnlyList<GmsaSample> samples, IReadOnlyList<int> rates, int maxContextTokens, OverlongPolicy policy, long seed)
        : base(compressor, rates, CompressorParameters(compressor))
    {
        var tokenizer = Lm.Tokenizer ?? throw new InvalidOperationException("Autoencoder training needs the base model's tokenizer.");
        _eos = Lm.EosTokenIds.Count > 0 ? Lm.EosTokenIds.Min() : throw new InvalidOperationException("Autoencoder training needs an EOS token.");
        _instruction = tokenizer.Encode(compressor.Config.Prompts.AutoencodeInstruction, addBos: false);
        if (maxContextTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxContextTokens), maxContextTokens, "The context limit must be at least 1 token.");
        }
        int windowed = 0, rejected = 0;
        foreach (GmsaSample sample in samples)
        {
            int[] ids = tokenizer.Encode(sample.Input, addBos: false).ToArray();
            IEnumerable<int[]> pieces = ids.Length <= maxContextTokens ? [ids]
                : policy == OverlongPolicy.Window ? ids.Chunk(maxContextTokens)
                : [];
            if (ids.Length > maxContextTokens)
            {
                (policy == OverlongPolicy.Window ? ref windowed : ref rejected)++;
            }
            foreach (int[] piece in pieces)
            {
                // The decoder must hold [soft][instruction][context][EOS] at the lowest rate.
                if (GroupMerging.Count(piece.Length, Rates[0]) + _instruction.Count + piece.Length + 1 > Lm.Config.MaxPositionEmbeddings)
                {
                    rejected++;
                    continue;
                }
                _contexts.Add(piece);
            }
        }
        Report = new DataReport(samples.Count, _contexts.Count, windowed, rejected);
        if (_contexts.Count == 0)
        {
            throw new InvalidDataException($"No autoencoder sample fits: {Report}.");
        }
        _sampler = new EpochSampler(_contexts.Count, seed);
    }

    /// <summary>What preparation kept, windowed and rejected.</summary>
    public DataReport Report { get; }

    /// <inheritdoc/>
    public string Name => "autoencode";

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters => Trainable;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) MicroBatchLoss(long index, int batchSize, long seed)
    {
        Tensor instruction = InstructionTensor(_instruction);
        return BatchLoss(index, batchSize, position => RestatementLoss(_contexts[_sampler.At(position)], RateAt(seed, position), instruction, _eos));
    }

    /// <inheritdoc/>
    public void SetTraining(bool training) => Compressor.train(training);
}
