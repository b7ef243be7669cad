using GmsaSharp.Compression;
using GmsaSharp.Data;
using GmsaSharp.Models;

namespace GmsaSharp.Training;

/// <summary>
/// Supervised fine-tuning of every decoder weight on question answering over the whole, uncompressed context:
/// the layout the full-prompt baseline reads, token for token up to the first answer (<see cref="PromptLayout.FullPromptTemplate"/>,
/// by default <c>[BOS]context\n\nprompt(q1) a1\nprompt(q2) a2 ... EOS</c>), with the
/// questions about one context (consecutive JSONL lines with the same <c>input</c>) packed after a single copy
/// of it. The loss is on the answers and the separator or EOS that ends each one, optionally also on the
/// context (ordinary language modelling). A context whose questions do not all fit in one sequence is
/// repeated for the rest; a context that leaves no room for even one question is rejected and counted.
/// </summary>
/// <remarks>
/// Pretraining on the same text spends most of its gradient on predicting documents and questions; in-context
/// retrieval, what reading a long document needs, gets a small share. Training on answers alone makes the
/// decoder learn to look things up.
/// </remarks>
public sealed class FullContextQaStage : DecoderStage, ITrainingStage
{
    /// <summary>Prepares QA <paramref name="samples"/> for <paramref name="lm"/>, which needs a tokenizer and an EOS token.</summary>
    /// <param name="lm">The decoder to train.</param>
    /// <param name="samples">QA samples; consecutive ones with the same input share a sequence.</param>
    /// <param name="prompts">The prompt layout (as the GMSA checkpoint will use): the full-prompt template places the
    /// context before the questions, each question prompt is followed by its answer target.</param>
    /// <param name="sequenceLength">Most tokens per training sequence.</param>
    /// <param name="trainContext">Also train on the context tokens.</param>
    /// <param name="seed">Sample order seed.</param>
    public FullContextQaStage(CausalLM lm, IReadOnlyList<GmsaSample> samples, PromptLayout prompts, int sequenceLength, bool trainContext, long seed)
        : base(lm, seed)
    {
        prompts.Validate();
        (string beforeContext, string separator, string afterPrompt) = prompts.FullPromptParts();
        if (beforeContext.Length > 0 || afterPrompt.Length > 0)
        {
            throw new ArgumentException(
                $"Full-context QA training packs 'context, separator, then each question prompt and its answer'; the full-prompt template " +
                $"'{prompts.FullPromptTemplate}' has text before {{context}} or after {{prompt}}, which that layout has no place for.", nameof(prompts));
        }
        if (sequenceLength < 2 || sequenceLength > lm.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceLength), sequenceLength, $"The sequence length must be between 2 and {lm.Config.MaxPositionEmbeddings}.");
        }
        var tokenizer = lm.Tokenizer ?? throw new InvalidOperationException("Full-context QA training needs the model's tokenizer.");
        int eos = lm.EosTokenIds.Count > 0 ? lm.EosTokenIds.Min() : throw new InvalidOperationException("Full-context QA training needs an EOS token.");
        var packer = new QaPacker(tokenizer, prompts, eos);
        // Every sequence opens with the tokens FullPromptBaseline asks with: BOS where the tokenizer adds one, the
        // context, then the separator and the first question prompt encoded together (a tokenizer may merge across
        // that boundary, and a SentencePiece one would start a separately encoded prompt with its dummy prefix).
        int[] lead = [.. tokenizer.Encode(beforeContext)];
        int rejected = 0;
        foreach ((string text, GmsaSample[] questions) in QaPacker.GroupByContext(samples))
        {
            int[] context = [.. lead, .. tokenizer.Encode(text, addBos: false)];
            // A sequence of n tokens makes n - 1 predictions.
            int room = sequenceLength + 1 - context.Length;
            foreach (var run in packer.Runs(questions, int.MaxValue, room, q => [.. tokenizer.Encode(separator + prompts.QuestionPrompt(q.Prompt!), addBos: false)], ref rejected))
            {
                (int[] tokens, bool[] trained) = packer.Join(run);
                AddSequence([.. context, .. tokens], [.. context.Select(_ => trainContext), .. trained]);
            }
        }
        Report = new DataReport(samples.Count, samples.Count - rejected, 0, rejected);
        if (Sequences == 0)
        {
            throw new InvalidDataException($"No full-context QA sample fits in {sequenceLength} tokens: {Report}.");
        }
        Prepared();
    }

    /// <summary>What preparation kept and rejected (a rejected sample's context alone fills a sequence).</summary>
    public DataReport Report { get; }

    /// <summary>Each sequence's tokens and which of them are trained (predicted with a loss).</summary>
    internal IReadOnlyList<(int[] Tokens, bool[] Trained)> SequenceTokens => SequenceList.Select(s => (s.Tokens, s.Trained!)).ToList();

    /// <inheritdoc/>
    public string Name => "qa";
}
