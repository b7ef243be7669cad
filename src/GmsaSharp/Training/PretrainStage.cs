using GmsaSharp.Models;

namespace GmsaSharp.Training;

/// <summary>
/// Ordinary causal-LM training of every decoder weight on plain text. Each file is tokenized whole (special
/// tokens such as an end-of-text marker inside it are kept), followed by EOS unless it already ends with one.
/// <see cref="PretrainPacking.Stream"/> cuts the files' one stream into sequences of <c>sequenceLength</c>
/// predicted tokens; <see cref="PretrainPacking.Records"/> gives every EOS-terminated record a sequence of its
/// own, so a document and the questions after it are never split apart, and cuts only records longer than a
/// sequence into consecutive windows (counted in <see cref="WindowedRecords"/>). Short last pieces are kept,
/// never dropped.
/// </summary>
public sealed class PretrainStage : DecoderStage, ITrainingStage
{
    /// <summary>Prepares <paramref name="textFiles"/> for <paramref name="lm"/>, which needs a tokenizer and an EOS token.</summary>
    public PretrainStage(CausalLM lm, IReadOnlyList<string> textFiles, int sequenceLength, long seed, PretrainPacking packing = PretrainPacking.Stream)
        : base(lm, seed)
    {
        if (sequenceLength < 2 || sequenceLength >= lm.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceLength), sequenceLength, $"The sequence length must be between 2 and {lm.Config.MaxPositionEmbeddings - 1}.");
        }
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
        if (packing == PretrainPacking.Stream)
        {
            AddWindows(stream, sequenceLength);
        }
        else
        {
            int start = 0;
            for (int i = 0; i < stream.Count; i++)
            {
                if (lm.EosTokenIds.Contains(stream[i]))
                {
                    // The record with its EOS: the model learns where a record ends.
                    List<int> record = stream.GetRange(start, i + 1 - start);
                    WindowedRecords += record.Count - 1 > sequenceLength ? 1 : 0;
                    AddWindows(record, sequenceLength);
                    start = i + 1;
                }
            }
        }
        Tokens = stream.Count;
        Prepared();
    }

    /// <summary>Tokens in the training stream.</summary>
    public int Tokens { get; }

    /// <summary>The training sequences' tokens (each one longer than the tokens it predicts).</summary>
    internal IReadOnlyList<int[]> SequenceTokens => SequenceList.Select(s => s.Tokens).ToList();

    /// <summary>With <see cref="PretrainPacking.Records"/>: records longer than a sequence, cut into windows.</summary>
    public int WindowedRecords { get; }

    // Consecutive windows overlap by one token so every token after the first is predicted exactly once.
    private void AddWindows(List<int> tokens, int sequenceLength)
    {
        for (int start = 0; start < tokens.Count - 1; start += sequenceLength)
        {
            AddSequence(tokens.GetRange(start, Math.Min(sequenceLength + 1, tokens.Count - start)).ToArray(), trained: null);
        }
    }

    /// <inheritdoc/>
    public string Name => "pretrain";
}
