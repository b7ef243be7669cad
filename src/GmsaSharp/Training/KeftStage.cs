using GmsaSharp.Compression;
using GmsaSharp.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>
/// GMSA stage 2, Knowledge Extraction Fine-Tuning: the compressor is frozen and the decoder reads
/// [soft tokens][question prompt] to produce the answer, then EOS; loss on those tokens only. Trainable: LoRA
/// on every decoder block's q/k/v, applied only when reading compressed context. Documents longer than the
/// encoder window are compressed window by window, exactly as at inference.
/// </summary>
public sealed class KeftStage : CompressorStage, ITrainingStage
{
    private readonly List<(int[] Context, int[] Prompt, int[] Answer)> _samples = [];
    private readonly EpochSampler _sampler;

    /// <summary>Prepares QA <paramref name="samples"/>; adds KEFT adapters with <paramref name="keft"/> unless the compressor has them.</summary>
    public KeftStage(GmsaCompressor compressor, IReadOnlyList<GmsaSample> samples, IReadOnlyList<int> rates, LoraSettings keft, long seed)
        : base(compressor, rates, KeftParameters(compressor, keft, seed))
    {
        // The compressor is frozen: no dropout in the encoder LoRA while it makes soft tokens.
        compressor.eval();
        var tokenizer = Lm.Tokenizer ?? throw new InvalidOperationException("KEFT needs the base model's tokenizer.");
        int eos = Lm.EosTokenIds.Count > 0 ? Lm.EosTokenIds.Min() : throw new InvalidOperationException("KEFT needs an EOS token.");
        int rejected = 0;
        foreach (GmsaSample sample in samples)
        {
            if (sample.Prompt is null || sample.Answers.Count == 0)
            {
                throw new InvalidDataException($"KEFT sample on line {sample.Line} has no prompt or answer.");
            }
            int[] context = tokenizer.Encode(sample.Input, addBos: false).ToArray();
            int[] prompt = tokenizer.Encode(compressor.Config.QuestionPrompt(sample.Prompt), addBos: false).ToArray();
            int[] answer = [.. tokenizer.Encode(compressor.Config.AnswerPrefix + sample.Answers[0], addBos: false), eos];
            int soft = CompressedContext.SoftTokenCountFor(context.Length, compressor.Config.WindowSize, Rates[0]);
            if (soft + prompt.Length + answer.Length > Lm.Config.MaxPositionEmbeddings)
            {
                rejected++;
                continue;
            }
            _samples.Add((context, prompt, answer));
        }
        Report = new DataReport(samples.Count, _samples.Count, 0, rejected);
        if (_samples.Count == 0)
        {
            throw new InvalidDataException($"No KEFT sample fits: {Report}.");
        }
        _sampler = new EpochSampler(_samples.Count, seed);
    }

    /// <summary>What preparation kept and rejected.</summary>
    public DataReport Report { get; }

    /// <inheritdoc/>
    public string Name => "keft";

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters => Trainable;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) MicroBatchLoss(long index, int batchSize, long seed) =>
        BatchLoss(index, batchSize, position =>
        {
            (int[] context, int[] prompt, int[] answer) = _samples[_sampler.At(position)];
            using CompressedContext compressed = Compressor.CompressTokens(context, RateAt(seed, position));
            Tensor promptIds = tensor(prompt.Select(id => (long)id).ToArray(), dtype: ScalarType.Int64).unsqueeze(0);
            Tensor prefix = cat([compressed.SoftTokens.unsqueeze(0), Lm.Embed(promptIds)], 1);
            return (DecoderLoss.TargetAfterPrefix(Lm, prefix, answer, Compressor.KeftLora), answer.Length);
        });

    /// <inheritdoc/>
    public void SetTraining(bool training) => Compressor.KeftLora!.train(training);

    private static IEnumerable<(string Name, Parameter Parameter)> KeftParameters(GmsaCompressor compressor, LoraSettings keft, long seed)
    {
        if (compressor.KeftLora is null)
        {
            compressor.AddKeftAdapters(keft, seed);
        }
        return compressor.KeftLora!.named_parameters().Select(p => ("keft_lora." + p.name, p.parameter)).ToList();
    }
}
