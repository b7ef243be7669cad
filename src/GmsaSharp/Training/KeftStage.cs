using System.Globalization;
using GmsaSharp.Compression;
using GmsaSharp.Data;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>
/// GMSA stage 2, Knowledge Extraction Fine-Tuning: the compressor is frozen (by default) and the decoder reads
/// [soft tokens][question prompt] to produce the answer, then EOS; loss on those tokens only. Trainable: LoRA
/// on the decoder's projections (the paper: every block's q/k/v), applied only when reading compressed context.
/// Documents longer than the encoder window are compressed window by window, exactly as at inference. With
/// <c>trainCompressor</c> (not in the paper; ICAE's fine-tuning trains its encoder this way) the answer loss also
/// trains the encoder LoRA and the LSA blocks, so the soft tokens can learn to carry what questions ask. With
/// <c>questionsPerContext</c> above 1, consecutive questions about the same context share one compression:
/// [soft tokens][prompt(q1) a1\n prompt(q2) a2 ... EOS], loss on every answer (the paper's layout is 1).
/// With <c>autoencodeWeight</c> above 0 (only with <c>trainCompressor</c>), each micro-batch also restates one
/// encoder window of its first context, as the autoencoding stage does, and adds that loss (mean per token) times
/// the weight to the answers' mean loss: answers alone teach the soft tokens to carry what questions ask about,
/// and lose what the decoder needs to restate a document, digits among it.
/// </summary>
public sealed class KeftStage : CompressorStage, ITrainingStage
{
    private readonly List<(int[] Context, int[] Tokens, bool[] Trained)> _samples = [];
    private readonly EpochSampler _sampler;
    private readonly bool _trainCompressor;
    private readonly double _autoencodeWeight;
    private readonly IReadOnlyList<int> _instruction = [];
    private readonly int _eos;

    /// <summary>Prepares QA <paramref name="samples"/>; adds KEFT adapters with <paramref name="keft"/> unless the compressor
    /// has them (then <paramref name="keft"/> must match theirs). <paramref name="trainCompressor"/> also trains the encoder
    /// LoRA and the LSA blocks on the answers; <paramref name="autoencodeWeight"/> (with it) weighs a restatement loss beside them.</summary>
    public KeftStage(GmsaCompressor compressor, IReadOnlyList<GmsaSample> samples, IReadOnlyList<int> rates, LoraSettings keft, long seed, int questionsPerContext = 1,
        bool trainCompressor = false, double autoencodeWeight = 0)
        : base(compressor, rates, KeftParameters(compressor, keft, seed, trainCompressor))
    {
        _trainCompressor = trainCompressor;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(questionsPerContext);
        if (!double.IsFinite(autoencodeWeight) || autoencodeWeight < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(autoencodeWeight), autoencodeWeight, "The autoencoding weight must be a finite number >= 0.");
        }
        if (autoencodeWeight > 0 && !trainCompressor)
        {
            throw new ArgumentException(
                $"An autoencoding weight ({autoencodeWeight}) trains the compressor on restating its windows, so it needs trainCompressor; the frozen compressor would learn nothing from it.", nameof(autoencodeWeight));
        }
        _autoencodeWeight = autoencodeWeight;
        // Until the trainer sets training mode: no dropout in the encoder LoRA while it makes soft tokens (a frozen
        // compressor stays so; SetTraining switches it only with trainCompressor).
        compressor.eval();
        var tokenizer = Lm.Tokenizer ?? throw new InvalidOperationException("KEFT needs the base model's tokenizer.");
        int eos = Lm.EosTokenIds.Count > 0 ? Lm.EosTokenIds.Min() : throw new InvalidOperationException("KEFT needs an EOS token.");
        _eos = eos;
        if (autoencodeWeight > 0)
        {
            _instruction = tokenizer.Encode(compressor.Config.Prompts.AutoencodeInstruction, addBos: false);
            // The decoder must hold [soft tokens][instruction][a whole window][EOS] at the lowest rate.
            int window = compressor.Config.WindowSize;
            int needed = GroupMerging.Count(window, Rates[0]) + _instruction.Count + window + 1;
            if (needed > Lm.Config.MaxPositionEmbeddings)
            {
                throw new ArgumentException(
                    $"Restating a {window}-token window at rate {Rates[0]} takes {needed} positions; the base model has {Lm.Config.MaxPositionEmbeddings}.", nameof(autoencodeWeight));
            }
        }
        var packer = new QaPacker(tokenizer, compressor.Config.Prompts, eos);
        int rejected = 0;
        foreach ((string text, GmsaSample[] questions) in QaPacker.GroupByContext(samples))
        {
            int[] context = tokenizer.Encode(text, addBos: false).ToArray();
            // The decoder must hold the soft tokens at the lowest rate and the questions.
            int room = Lm.Config.MaxPositionEmbeddings - CompressedContext.SoftTokenCountFor(context.Length, compressor.Config.WindowSize, Rates[0]);
            foreach (var run in packer.Runs(questions, questionsPerContext, room, opening: null, ref rejected))
            {
                (int[] tokens, bool[] trained) = packer.Join(run);
                _samples.Add((context, tokens, trained));
            }
        }
        Report = new DataReport(samples.Count, samples.Count - rejected, 0, rejected);
        if (_samples.Count == 0)
        {
            throw new InvalidDataException($"No KEFT sample fits: {Report}.");
        }
        _sampler = new EpochSampler(_samples.Count, seed);
    }

    /// <summary>Training sequences: each one compressed context with one or more of its questions.</summary>
    public int Sequences => _samples.Count;

    /// <summary>What preparation kept and rejected.</summary>
    public DataReport Report { get; }

    /// <inheritdoc/>
    public string Name => _autoencodeWeight > 0
        ? "keft+compressor+autoencode=" + _autoencodeWeight.ToString(CultureInfo.InvariantCulture)
        : _trainCompressor ? "keft+compressor" : "keft";

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters => Trainable;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) MicroBatchLoss(long index, int batchSize, long seed)
    {
        (Tensor answers, long answerTokens) = AnswerLoss(index, batchSize, seed);
        if (_autoencodeWeight == 0)
        {
            return (answers, answerTokens);
        }
        // One window of the micro-batch's first context, drawn (with its rate) from a stream of its own.
        int[] context = _samples[_sampler.At(index * batchSize)].Context;
        int window = Compressor.Config.WindowSize;
        Random draw = EpochSampler.For(~seed, index);
        int start = draw.Next((context.Length + window - 1) / window) * window;
        int rate = Rates[draw.Next(Rates.Count)];
        (Tensor restated, long restatedTokens) = RestatementLoss(context[start..Math.Min(context.Length, start + window)], rate, InstructionTensor(_instruction), _eos);
        using Scalar count = restatedTokens.ToScalar(), weight = _autoencodeWeight.ToScalar();
        return (answers.Plus(restated / count * weight), answerTokens + restatedTokens);
    }

    private (Tensor Loss, long Tokens) AnswerLoss(long index, int batchSize, long seed) =>
        BatchLoss(index, batchSize, position =>
        {
            (int[] context, int[] tokens, bool[] trained) = _samples[_sampler.At(position)];
            int rate = RateAt(seed, position);
            if (_trainCompressor)
            {
                using Tensor soft = Compressor.TrainingSoftTokens(context, rate);
                return (DecoderLoss.MarkedAfterPrefix(Lm, soft.unsqueeze(0), tokens, trained, Compressor.KeftLora), trained.Count(t => t));
            }
            using CompressedContext compressed = Compressor.CompressTokens(context, rate);
            Tensor loss = DecoderLoss.MarkedAfterPrefix(Lm, compressed.SoftTokens.unsqueeze(0), tokens, trained, Compressor.KeftLora);
            return (loss, trained.Count(t => t));
        });

    /// <inheritdoc/>
    public void SetTraining(bool training)
    {
        if (training)
        {
            // The KEFT adapters are about to change; the compressor's own train mode, which forgets every merged copy,
            // is entered only when the compressor trains too.
            Compressor.ForgetMergedReader();
        }
        if (_trainCompressor)
        {
            Compressor.train(training);
        }
        else
        {
            Compressor.KeftLora!.train(training);
        }
    }

    private static IEnumerable<(string Name, Parameter Parameter)> KeftParameters(GmsaCompressor compressor, LoraSettings keft, long seed, bool trainCompressor)
    {
        if (compressor.KeftLora is null)
        {
            compressor.AddKeftAdapters(keft, seed);
        }
        else if (compressor.Config.KeftLora is { } existing && !SameAdapters(existing, keft))
        {
            // Training continues the checkpoint's adapters; other settings would otherwise be silently ignored.
            throw new ArgumentException($"The GMSA checkpoint already has KEFT adapters ({Describe(existing)}), which training continues; the requested KEFT settings ({Describe(keft)}) must match them (or start from the autoencoder checkpoint for new adapters).");
        }
        var parameters = compressor.KeftLora!.named_parameters().Select(p => ("keft_lora." + p.name, p.parameter)).ToList();
        if (trainCompressor)
        {
            parameters.AddRange(CompressorParameters(compressor));
        }
        return parameters;
    }

    private static bool SameAdapters(LoraSettings a, LoraSettings b) =>
        a.Rank == b.Rank && a.Alpha == b.Alpha && a.Dropout == b.Dropout && a.Targets.Order().SequenceEqual(b.Targets.Order());

    private static string Describe(LoraSettings s) => $"rank {s.Rank}, alpha {s.Alpha}, dropout {s.Dropout}, targets {string.Join(",", s.Targets)}";
}
