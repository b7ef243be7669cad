using GmsaSharp.Compression;
using GmsaSharp.Data;
using GmsaSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>
/// Distillation of a trained GMSA compressor into a cheaper one (not in the paper): the student, usually with
/// fewer encoder blocks, learns to produce the teacher's soft tokens for the same document and rate, so the
/// decoder and the KEFT adapters trained on the teacher's soft tokens read the student's as they read the
/// teacher's. The loss of one soft token is its relative squared error ||s - t||² / ||t||², so the scale of the
/// embedding space does not matter; documents are compressed as inference compresses them (window by window,
/// one LSA pass over all soft tokens). Trainable: the student's encoder LoRA and LSA; the teacher, the student's
/// KEFT adapters and the base stay frozen. Each sample draws its rate from the configured set.
/// </summary>
public sealed class DistillStage : CompressorStage, ITrainingStage
{
    private readonly GmsaCompressor _teacher;
    private readonly List<int[]> _documents = [];
    private readonly EpochSampler _sampler;

    /// <summary>Prepares the distinct documents (<c>input</c> fields) of <paramref name="samples"/>; the student and
    /// the teacher must share one base model instance and one encoder window.</summary>
    public DistillStage(GmsaCompressor student, GmsaCompressor teacher, IReadOnlyList<GmsaSample> samples, IReadOnlyList<int> rates, long seed)
        : base(student, rates, CompressorParameters(student))
    {
        ArgumentNullException.ThrowIfNull(teacher);
        if (!ReferenceEquals(teacher.Model, student.Model))
        {
            throw new ArgumentException("The teacher must compress for the student's base model (the same loaded instance).", nameof(teacher));
        }
        if (teacher.Config.WindowSize != student.Config.WindowSize)
        {
            throw new ArgumentException($"The teacher's window ({teacher.Config.WindowSize} tokens) and the student's ({student.Config.WindowSize}) differ.", nameof(teacher));
        }
        _teacher = teacher;
        _teacher.train(false);
        foreach (Parameter parameter in teacher.parameters())
        {
            parameter.requires_grad = false;
        }
        var tokenizer = Lm.Tokenizer ?? throw new InvalidOperationException("Distillation needs the base model's tokenizer.");
        int distinct = 0, rejected = 0;
        foreach (string document in samples.Select(s => s.Input).Distinct())
        {
            distinct++;
            int[] ids = tokenizer.Encode(document, addBos: false).ToArray();
            // Every soft token must fit the decoder's positions at the lowest rate, as compression requires.
            if (ids.Length == 0 || CompressedContext.SoftTokenCountFor(ids.Length, student.Config.WindowSize, Rates[0]) > Lm.Config.MaxPositionEmbeddings)
            {
                rejected++;
                continue;
            }
            _documents.Add(ids);
        }
        Report = new DataReport(distinct, _documents.Count, 0, rejected);
        if (_documents.Count == 0)
        {
            throw new InvalidDataException($"No document to distil on: {Report}.");
        }
        _sampler = new EpochSampler(_documents.Count, seed);
    }

    /// <summary>
    /// A student for <paramref name="teacher"/>: the same base, window, prompts and adapter settings, with
    /// <paramref name="encoderLayers"/> encoder blocks and <paramref name="lsaLayers"/> LSA blocks. Every weight the
    /// teacher also has under the same name (the encoder LoRA of the blocks both adapt, the LSA blocks both have,
    /// the KEFT adapters) starts as the teacher's copy; the rest starts as in a fresh compressor, from <paramref name="seed"/>.
    /// </summary>
    public static GmsaCompressor CreateStudent(GmsaCompressor teacher, int encoderLayers, int lsaLayers, long seed)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        var student = new GmsaCompressor(teacher.Model, teacher.Config with { EncoderLayers = encoderLayers, LsaLayers = lsaLayers, TrainedRates = [] }, seed);
        var taught = teacher.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            foreach ((string name, Parameter parameter) in student.named_parameters())
            {
                if (taught.TryGetValue(name, out Parameter? source))
                {
                    parameter.copy_(source);
                }
            }
        }
        student.RefreshFingerprint();
        return student;
    }

    /// <summary>Distinct documents read, kept and rejected (empty, or too long to compress at the lowest rate).</summary>
    public DataReport Report { get; }

    /// <inheritdoc/>
    public string Name => "distill";

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters => Trainable;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) MicroBatchLoss(long index, int batchSize, long seed) =>
        BatchLoss(index, batchSize, position => SoftTokenError(_documents[_sampler.At(position)], RateAt(seed, position)));

    /// <inheritdoc/>
    public void SetTraining(bool training) => Compressor.train(training);

    // The summed relative squared error of the student's soft tokens against the teacher's, and their count.
    private (Tensor SummedError, long Tokens) SoftTokenError(int[] document, int rate)
    {
        using var scope = NewDisposeScope();
        Tensor target;
        using (no_grad())
        {
            target = _teacher.TrainingSoftTokens(document, rate).to(ScalarType.Float32);
        }
        Tensor student = Compressor.TrainingSoftTokens(document, rate).to(ScalarType.Float32);
        Tensor difference = student - target;
        Tensor error = (difference * difference).sum(1) / (target * target).sum(1);
        return (error.sum().MoveToOuterDisposeScope(), target.shape[0]);
    }
}
