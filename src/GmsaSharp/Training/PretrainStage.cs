using GmsaSharp.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>
/// Ordinary causal-LM training of every decoder weight on plain text. Each file is tokenized whole (special
/// tokens such as an end-of-text marker inside it are kept), followed by EOS unless it already ends with one;
/// the files form one stream cut into sequences of <c>sequenceLength</c> predicted tokens. The last, shorter
/// sequence is kept, not dropped.
/// </summary>
public sealed class PretrainStage : ITrainingStage
{
    private const int IgnoredLabel = -100;
    private readonly CausalLM _lm;
    private readonly List<int[]> _sequences = [];
    private readonly EpochSampler _sampler;

    /// <summary>Prepares <paramref name="textFiles"/> for <paramref name="lm"/>, which needs a tokenizer and an EOS token.</summary>
    public PretrainStage(CausalLM lm, IReadOnlyList<string> textFiles, int sequenceLength, long seed)
    {
        if (sequenceLength < 2 || sequenceLength >= lm.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceLength), sequenceLength, $"The sequence length must be between 2 and {lm.Config.MaxPositionEmbeddings - 1}.");
        }
        _lm = lm;
        var tokenizer = lm.Tokenizer ?? throw new InvalidOperationException("Pretraining on text needs a tokenizer in the model folder.");
        int eos = lm.EosTokenIds.Count > 0 ? lm.EosTokenIds.Min() : throw new InvalidOperationException("Pretraining needs an EOS token (config.json or the tokenizer files).");
        var stream = new List<int>();
        foreach (string file in textFiles)
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"Text file '{file}' does not exist.", file);
            }
            stream.AddRange(tokenizer.Encode(File.ReadAllText(file)));
            if (stream.Count == 0 || !lm.EosTokenIds.Contains(stream[^1]))
            {
                stream.Add(eos);
            }
        }
        if (stream.Count < 2)
        {
            throw new InvalidDataException($"The text files ({string.Join(", ", textFiles)}) hold fewer than 2 tokens.");
        }
        // Consecutive sequences overlap by one token so every token is predicted exactly once.
        for (int start = 0; start < stream.Count - 1; start += sequenceLength)
        {
            _sequences.Add(stream.GetRange(start, Math.Min(sequenceLength + 1, stream.Count - start)).ToArray());
        }
        Tokens = stream.Count;
        _sampler = new EpochSampler(_sequences.Count, seed);
        foreach (Parameter parameter in lm.parameters())
        {
            parameter.requires_grad = true;
        }
    }

    /// <summary>Tokens in the training stream.</summary>
    public int Tokens { get; }

    /// <summary>Training sequences.</summary>
    public int Sequences => _sequences.Count;

    /// <inheritdoc/>
    public string Name => "pretrain";

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters => _lm.named_parameters().ToList();

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) MicroBatchLoss(long index, int batchSize, long seed)
    {
        int[][] batch = Enumerable.Range(0, batchSize).Select(j => _sequences[_sampler.At(index * batchSize + j)]).ToArray();
        int width = batch.Max(s => s.Length);
        var inputs = new long[batchSize * (width - 1)];
        var labels = new long[batchSize * (width - 1)];
        long predicted = 0;
        for (int row = 0; row < batchSize; row++)
        {
            for (int i = 0; i < width - 1; i++)
            {
                bool real = i + 1 < batch[row].Length;
                inputs[row * (width - 1) + i] = real ? batch[row][i] : 0;
                labels[row * (width - 1) + i] = real ? batch[row][i + 1] : IgnoredLabel;
                predicted += real ? 1 : 0;
            }
        }
        // Right padding needs no attention mask: causal attention never looks right, and padded labels are ignored.
        Tensor logits = _lm.Forward(tensor(inputs, dtype: ScalarType.Int64).reshape(batchSize, width - 1));
        Tensor target = tensor(labels, dtype: ScalarType.Int64, device: logits.device);
        Tensor loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), target, ignore_index: IgnoredLabel);
        return (loss, predicted);
    }

    /// <inheritdoc/>
    public void SetTraining(bool training) => _lm.train(training);

    /// <inheritdoc/>
    public void SaveArtifact(string directory) => _lm.SavePretrained(directory);
}
