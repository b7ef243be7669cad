using GmsaSharp.Compression;
using GmsaSharp.Data;
using GmsaSharp.Evaluation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using GmsaSharp.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Training;

/// <summary>Runs alone: exact resume relies on TorchSharp's process-wide random generator, which tests running in
/// parallel would draw from.</summary>
[Collection(nameof(GlobalRandomCollection))]
public sealed class TrainingTests : IDisposable
{
    private static readonly GmsaOptions SmallGmsa = new()
    {
        EncoderLayers = 1,
        EncoderLora = new LoraSettings(8, 16, 0.0, LoraSettings.AllProjections),
        WindowSize = 32,
        Seed = 5,
    };

    private static readonly LoraSettings SmallKeft = new(8, 16, 0.0, LoraSettings.QueryKeyValue);

    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-train-").FullName;
    private readonly string _model;

    public TrainingTests()
    {
        // GMSA trains against a frozen *language model*: a random decoder cannot be steered by a few soft
        // tokens, so the base first learns the tiny corpus (a second of pretraining).
        string random = Path.Combine(_directory, "random");
        _model = Path.Combine(_directory, "model");
        TinyTextModel.Write(random, expressive: true);
        string corpus = Path.Combine(_directory, "base-corpus.txt");
        File.WriteAllText(corpus, string.Join("\n\n", AeSamples.Concat(QaSamples).Select(s => s.Input)));
        using var lm = CausalLM.FromPretrained(random, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
        Trainer.Run(new PretrainStage(lm, [corpus], sequenceLength: 32, seed: 1),
            new TrainingOptions { Steps = 80, LearningRate = 3e-3, WarmupSteps = 4, BatchSize = 2, WeightDecay = 0 }, _model, resume: false);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private CausalLM LoadModel() => CausalLM.FromPretrained(_model, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });

    private static readonly GmsaSample[] AeSamples =
    [
        new("the cat sat on the mat.", null, [], 1),
        new("the dog ate the cat food.", null, [], 2),
    ];

    private static readonly GmsaSample[] QaSamples =
    [
        new("the cat sat on the mat. the dog ate food.", "who sat?", ["the cat"], 1),
        new("the dog ate the cat food in 2024.", "when?", ["2024"], 2),
    ];

    private static Dictionary<string, Tensor> Snapshot(IEnumerable<(string Name, Parameter Parameter)> parameters) =>
        parameters.ToDictionary(p => p.Name, p => p.Parameter.detach().clone());

    private static double FirstAndLastLoss(string output, out double last)
    {
        // Means over the first and last five steps: one step's loss depends on its batch and drawn rates.
        var metrics = Trainer.ReadMetrics(Path.Combine(output, Trainer.MetricsFile));
        last = metrics.TakeLast(5).Average(m => m.Loss);
        return metrics.Take(5).Average(m => m.Loss);
    }

    [Fact]
    public void AutoencodingOverfitsATinySetAndChangesOnlyTheEncoderLoraAndLsa()
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa);
        var baseBefore = Snapshot(lm.named_parameters().Select(p => (p.name, p.parameter)));
        var stage = new AutoencodeStage(compressor, AeSamples, [2, 4], maxContextTokens: 32, OverlongPolicy.Reject, seed: 1);
        string output = Path.Combine(_directory, "ae");

        TrainingResult result = Trainer.Run(stage, new TrainingOptions { Steps = 200, LearningRate = 5e-3, WarmupSteps = 5, BatchSize = 2, Seed = 1 }, output, resume: false);

        double first = FirstAndLastLoss(output, out double last);
        Assert.False(result.Interrupted);
        Assert.True(last < first / 3, $"loss fell only from {first:F3} to {last:F3}");
        Assert.All(lm.named_parameters(), p => Assert.True(p.parameter.allclose(baseBefore[p.name], rtol: 0, atol: 0), $"base weight {p.name} changed"));
        Assert.True(File.Exists(Path.Combine(output, GmsaConfig.FileName)));
        using var reloaded = GmsaCompressor.FromPretrained(output, lm);
        Assert.Equal(new[] { 2, 4 }, reloaded.Config.TrainedRates);
    }

    [Fact]
    public void KeftOverfitsATinyQaSetAndChangesOnlyTheKeftAdapters()
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa);
        var baseBefore = Snapshot(lm.named_parameters().Select(p => (p.name, p.parameter)));
        var compressorBefore = Snapshot(compressor.named_parameters().Select(p => (p.name, p.parameter)));
        var stage = new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1);
        string output = Path.Combine(_directory, "keft");

        Trainer.Run(stage, new TrainingOptions { Steps = 100, LearningRate = 5e-3, WarmupSteps = 5, BatchSize = 2, Seed = 1 }, output, resume: false);

        double first = FirstAndLastLoss(output, out double last);
        Assert.True(last < first / 5, $"loss fell only from {first:F3} to {last:F3}");
        Assert.All(lm.named_parameters(), p => Assert.True(p.parameter.allclose(baseBefore[p.name], rtol: 0, atol: 0), $"base weight {p.name} changed"));
        Assert.All(compressorBefore, p => Assert.True(compressor.named_parameters().First(q => q.name == p.Key).parameter.allclose(p.Value, rtol: 0, atol: 0), $"{p.Key} changed"));
        Assert.NotNull(compressor.KeftLora);
    }

    [Fact]
    public void KeftWithCompressorTrainingAlsoTrainsTheEncoderLoraAndLsaButNotTheBase()
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa with { WindowSize = 8 });
        var baseBefore = Snapshot(lm.named_parameters().Select(p => (p.name, p.parameter)));
        var encoderBefore = Snapshot(compressor.EncoderLora.named_parameters().Select(p => (p.name, p.parameter)));
        var lsaBefore = Snapshot(compressor.Lsa.named_parameters().Select(p => (p.name, p.parameter)));
        // Contexts longer than the 8-token window: gradients flow through every window.
        var stage = new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1, trainCompressor: true);
        Assert.Contains(stage.TrainableParameters, p => p.Name.StartsWith("encoder_lora."));
        Assert.Contains(stage.TrainableParameters, p => p.Name.StartsWith("lsa."));
        string output = Path.Combine(_directory, "keft-joint");

        Trainer.Run(stage, new TrainingOptions { Steps = 60, LearningRate = 5e-3, WarmupSteps = 5, BatchSize = 2, Seed = 1 }, output, resume: false);

        double first = FirstAndLastLoss(output, out double last);
        Assert.True(last < first / 5, $"loss fell only from {first:F3} to {last:F3}");
        Assert.All(lm.named_parameters(), p => Assert.True(p.parameter.allclose(baseBefore[p.name], rtol: 0, atol: 0), $"base weight {p.name} changed"));
        Assert.Contains(compressor.EncoderLora.named_parameters(), p => !p.parameter.allclose(encoderBefore[p.name], rtol: 0, atol: 0));
        Assert.Contains(compressor.Lsa.named_parameters(), p => !p.parameter.allclose(lsaBefore[p.name], rtol: 0, atol: 0));
        // The saved checkpoint holds the trained compressor.
        using var lm2 = LoadModel();
        using var saved = GmsaCompressor.FromPretrained(output, lm2);
        Assert.Contains(saved.EncoderLora.named_parameters(), p => !p.parameter.allclose(encoderBefore[p.name], rtol: 0, atol: 0));
        Assert.Contains(saved.Lsa.named_parameters(), p => !p.parameter.allclose(lsaBefore[p.name], rtol: 0, atol: 0));
        // A resume that changes what is trained is named, not a shape error from the optimizer state.
        var frozenStage = new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1);
        var mismatch = Assert.Throws<InvalidOperationException>(() => Trainer.Run(frozenStage, new TrainingOptions { Steps = 61, LearningRate = 5e-3, WarmupSteps = 5, BatchSize = 2, Seed = 1 }, output, resume: true));
        Assert.Contains("is from stage 'keft+compressor', not 'keft'", mismatch.Message);
    }

    [Fact]
    public void DistillationTeachesAShallowerStudentTheTeachersSoftTokensTrainingOnlyItsEncoderLoraAndLsa()
    {
        using var lm = LoadModel();
        using var teacher = GmsaCompressor.Create(lm, SmallGmsa with { EncoderLayers = 2 });
        teacher.AddKeftAdapters(SmallKeft, seed: 9);
        // A trained teacher's adapters matter: give every LoRA B weights (a fresh B is zero, the identity).
        using (no_grad())
        {
            foreach ((string name, Parameter parameter) in teacher.named_parameters().Where(p => p.name.EndsWith("lora_B", StringComparison.Ordinal)))
            {
                parameter.copy_(randn(parameter.shape, generator: new TorchSharp.torch.Generator(7)) * 0.05);
            }
        }
        var baseBefore = Snapshot(lm.named_parameters().Select(p => (p.name, p.parameter)));
        var teacherBefore = Snapshot(teacher.named_parameters().Select(p => (p.name, p.parameter)));

        using var student = DistillStage.CreateStudent(teacher, encoderLayers: 1, lsaLayers: 1, seed: 2);

        // Every student weight has a teacher weight of that name (encoder block 0, the LSA block, KEFT) and starts as its copy.
        Assert.Equal(1, student.Config.EncoderLayers);
        Assert.Equal(teacher.Config.WindowSize, student.Config.WindowSize);
        Assert.All(student.named_parameters(), p => Assert.True(p.parameter.allclose(teacherBefore[p.name], rtol: 0, atol: 0), $"{p.name} is not the teacher's"));
        Assert.Contains(student.named_parameters(), p => p.name.StartsWith("keft_lora.", StringComparison.Ordinal));
        var keftBefore = Snapshot(student.KeftLora!.named_parameters().Select(p => (p.name, p.parameter)));
        var encoderBefore = Snapshot(student.EncoderLora.named_parameters().Select(p => (p.name, p.parameter)));
        // QA files repeat a document per question: each document counts once.
        GmsaSample[] samples = [.. AeSamples, .. QaSamples, QaSamples[0]];
        var stage = new DistillStage(student, teacher, samples, [2, 4], seed: 1);
        Assert.Equal(new DataReport(4, 4, 0, 0), stage.Report);
        Assert.All(stage.TrainableParameters, p => Assert.True(p.Name.StartsWith("encoder_lora.", StringComparison.Ordinal) || p.Name.StartsWith("lsa.", StringComparison.Ordinal), p.Name));
        string output = Path.Combine(_directory, "distill");

        Trainer.Run(stage, new TrainingOptions { Steps = 120, LearningRate = 5e-3, WarmupSteps = 5, BatchSize = 2, Seed = 1 }, output, resume: false);

        double first = FirstAndLastLoss(output, out double last);
        Assert.True(last < first / 3, $"the soft tokens' relative error fell only from {first:F4} to {last:F4}");
        Assert.All(lm.named_parameters(), p => Assert.True(p.parameter.allclose(baseBefore[p.name], rtol: 0, atol: 0), $"base weight {p.name} changed"));
        Assert.All(teacher.named_parameters(), p => Assert.True(p.parameter.allclose(teacherBefore[p.name], rtol: 0, atol: 0), $"teacher weight {p.name} changed"));
        Assert.All(student.KeftLora!.named_parameters(), p => Assert.True(p.parameter.allclose(keftBefore[p.name], rtol: 0, atol: 0), $"student KEFT weight {p.name} changed"));
        Assert.Contains(student.EncoderLora.named_parameters(), p => !p.parameter.allclose(encoderBefore[p.name], rtol: 0, atol: 0));
        using var saved = GmsaCompressor.FromPretrained(output, lm);
        Assert.Equal(1, saved.Config.EncoderLayers);
        Assert.Equal(new[] { 2, 4 }, saved.Config.TrainedRates);
        Assert.NotNull(saved.KeftLora);
    }

    [Fact]
    public void DistillationRefusesAnotherBaseOrWindowAnImpossibleShapeAndDocumentsItCannotCompress()
    {
        using var lm = LoadModel();
        using var otherLm = LoadModel();
        using var teacher = GmsaCompressor.Create(lm, SmallGmsa with { EncoderLayers = 2 });
        using var student = DistillStage.CreateStudent(teacher, encoderLayers: 1, lsaLayers: 1, seed: 2);
        using var foreign = GmsaCompressor.Create(otherLm, SmallGmsa with { EncoderLayers = 2 });
        using var wider = GmsaCompressor.Create(lm, SmallGmsa with { EncoderLayers = 2, WindowSize = 16 });

        Assert.Contains("base model", Assert.Throws<ArgumentException>(() => new DistillStage(student, foreign, AeSamples, [4], 1)).Message);
        Assert.Contains("window (16 tokens)", Assert.Throws<ArgumentException>(() => new DistillStage(student, wider, AeSamples, [4], 1)).Message);
        Assert.Contains("encoder_layers", Assert.Throws<ArgumentOutOfRangeException>(() => DistillStage.CreateStudent(teacher, 0, 1, 1)).Message);
        Assert.Contains("lsa_layers", Assert.Throws<ArgumentOutOfRangeException>(() => DistillStage.CreateStudent(teacher, 1, 3, 1)).Message);
        // At rate 1 a document longer than the decoder's 128 positions cannot be compressed.
        GmsaSample tooLong = new(string.Join(" ", Enumerable.Repeat("the cat sat on the mat.", 60)), null, [], 1);
        Assert.Contains("1 samples read, 0 used, 0 windowed, 1 rejected", Assert.Throws<InvalidDataException>(() => new DistillStage(student, teacher, [tooLong], [1], 1)).Message);
    }

    [Fact]
    public void PretrainingLowersTheLossAndTrainsEveryWeight()
    {
        using var lm = LoadModel();
        string text = Path.Combine(_directory, "corpus.txt");
        File.WriteAllText(text, string.Join("\n\n", Enumerable.Repeat("the cat sat on the mat. the dog ate the cat food.", 6)));
        var before = Snapshot(lm.named_parameters().Select(p => (p.name, p.parameter)));
        var stage = new PretrainStage(lm, [text], sequenceLength: 24, seed: 1);
        string output = Path.Combine(_directory, "pretrain");

        Trainer.Run(stage, new TrainingOptions { Steps = 40, LearningRate = 3e-3, WarmupSteps = 4, BatchSize = 2, WeightDecay = 0 }, output, resume: false);

        double first = FirstAndLastLoss(output, out double last);
        Assert.True(last < first / 3, $"loss fell only from {first:F3} to {last:F3}");
        Assert.All(lm.named_parameters(), p => Assert.False(p.parameter.allclose(before[p.name], rtol: 0, atol: 0), $"{p.name} did not train"));
        using var saved = CausalLM.FromPretrained(output, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
        Assert.NotNull(saved.Tokenizer);
    }

    [Fact]
    public void RecordPackingKeepsEachRecordInItsOwnSequencesAndWindowsOnlyLongOnes()
    {
        using var lm = LoadModel();
        int eos = lm.EosTokenIds.Single();
        string text = Path.Combine(_directory, "records.txt");
        string[] records = ["the cat sat.", "the dog ate the cat food. the cat sat on the mat. the dog sat.", "the mat."];
        File.WriteAllText(text, string.Concat(records.Select(r => r + TinyTextModel.EosToken)));
        int[][] tokens = records.Select(r => (int[])[.. lm.Tokenizer!.Encode(r, addBos: false), eos]).ToArray();
        int sequenceLength = tokens[1].Length - 3;
        Assert.True(tokens[0].Length - 1 <= sequenceLength && tokens[2].Length - 1 <= sequenceLength);

        var stage = new PretrainStage(lm, [text], sequenceLength, seed: 1, PretrainPacking.Records);

        // Record 1 is cut into a full window and the rest (overlapping by one token); the others fit whole.
        int[] window1 = tokens[1][..(sequenceLength + 1)], window2 = tokens[1][sequenceLength..];
        Assert.Equal([tokens[0], window1, window2, tokens[2]], stage.SequenceTokens);
        Assert.Equal(1, stage.WindowedRecords);
        Assert.Equal(tokens.Sum(t => t.Length), stage.Tokens);

        var streamed = new PretrainStage(lm, [text], sequenceLength, seed: 1);
        Assert.Equal(0, streamed.WindowedRecords);
        Assert.Equal(tokens.SelectMany(t => t), streamed.SequenceTokens[0].Concat(streamed.SequenceTokens.Skip(1).SelectMany(s => s.Skip(1))));
        Assert.Contains(streamed.SequenceTokens, s => s.SkipLast(1).Contains(eos));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(8)]
    public void KeftAutoencodeWeightAddsTheWeightedRestatementOfOneWindow(int window)
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa with { WindowSize = window });
        GmsaSample[] one = [QaSamples[0]];
        var answers = new KeftStage(compressor, one, [4], SmallKeft, seed: 1, trainCompressor: true);
        var both = new KeftStage(compressor, one, [4], SmallKeft, seed: 1, trainCompressor: true, autoencodeWeight: 0.5);
        // The autoencoding stage's loss of every window of that context, each a sample of its own.
        var restating = new AutoencodeStage(compressor, [new(QaSamples[0].Input, null, [], 1)], [4], maxContextTokens: window, OverlongPolicy.Window, seed: 1);
        using var noGrad = no_grad();
        int windows = restating.Report.Used;
        Assert.Equal(window == 8 ? 2 : 1, windows);

        for (long index = 0; index < 4; index++)
        {
            (Tensor answerLoss, long answerTokens) = answers.MicroBatchLoss(index, 1, seed: 3);
            (Tensor total, long totalTokens) = both.MicroBatchLoss(index, 1, seed: 3);
            var restatements = Enumerable.Range(0, windows).Select(i => restating.MicroBatchLoss(i, 1, seed: 3)).ToArray();
            double added = total.item<float>() - answerLoss.item<float>();
            // Exactly one window's mean restatement loss, times the weight; its tokens counted beside the answers'.
            Assert.Contains(restatements, r => Math.Abs(added - 0.5 * r.Loss.item<float>()) < 1e-4 && totalTokens - answerTokens == r.Tokens);
        }
    }

    [Fact]
    public void KeftAutoencodeWeightMustBeFiniteNonNegativeAndTrainTheCompressor()
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa);

        Assert.Equal("autoencodeWeight", Assert.Throws<ArgumentOutOfRangeException>(() => new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1, trainCompressor: true, autoencodeWeight: -1)).ParamName);
        Assert.Equal("autoencodeWeight", Assert.Throws<ArgumentOutOfRangeException>(() => new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1, trainCompressor: true, autoencodeWeight: double.NaN)).ParamName);
        var frozen = Assert.Throws<ArgumentException>(() => new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1, autoencodeWeight: 0.5));
        Assert.Contains("needs trainCompressor", frozen.Message);
        Assert.Equal("keft+compressor+autoencode=0.25", new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1, trainCompressor: true, autoencodeWeight: 0.25).Name);
        Assert.Equal("keft+compressor", new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1, trainCompressor: true, autoencodeWeight: 0).Name);
    }

    [Fact]
    public void KeftWithRestatementLearnsAndResumesOnlyWithTheSameWeight()
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa);
        var stage = new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1, trainCompressor: true, autoencodeWeight: 1);
        string output = Path.Combine(_directory, "keft-restating");

        Trainer.Run(stage, new TrainingOptions { Steps = 40, LearningRate = 5e-3, WarmupSteps = 5, BatchSize = 2, Seed = 1 }, output, resume: false);

        double first = FirstAndLastLoss(output, out double last);
        Assert.True(last < first / 3, $"loss fell only from {first:F3} to {last:F3}");
        var other = new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1, trainCompressor: true, autoencodeWeight: 2);
        var mismatch = Assert.Throws<InvalidOperationException>(() => Trainer.Run(other, new TrainingOptions { Steps = 41, LearningRate = 5e-3, WarmupSteps = 5, BatchSize = 2, Seed = 1 }, output, resume: true));
        Assert.Contains("is from stage 'keft+compressor+autoencode=1', not 'keft+compressor+autoencode=2'", mismatch.Message);
    }

    [Fact]
    public void KeftContinuesExistingAdaptersOnlyWithTheirOwnSettings()
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa);
        _ = new KeftStage(compressor, QaSamples, [4], SmallKeft, seed: 1);
        Parameter adapted = compressor.KeftLora!.named_parameters().First().parameter;

        // The same settings (targets in any order) continue the adapters the first stage added.
        _ = new KeftStage(compressor, QaSamples, [4], SmallKeft with { Targets = ["v_proj", "k_proj", "q_proj"] }, seed: 2);
        Assert.Same(adapted, compressor.KeftLora!.named_parameters().First().parameter);
        var wider = SmallKeft with { Targets = LoraSettings.AllProjections };
        var error = Assert.Throws<ArgumentException>(() => new KeftStage(compressor, QaSamples, [4], wider, seed: 1));
        Assert.Contains("already has KEFT adapters (rank 8, alpha 16, dropout 0, targets q_proj,k_proj,v_proj)", error.Message);
        Assert.Contains("targets q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj) must match", error.Message);
        Assert.Throws<ArgumentException>(() => new KeftStage(compressor, QaSamples, [4], SmallKeft with { Rank = 4 }, seed: 1));
    }

    [Fact]
    public void KeftPacksQuestionsAboutOneContextUpToTheChosenCountAndStillLearns()
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa);
        GmsaSample[] samples =
        [
            new("the cat sat on the mat.", "who sat?", ["the cat"], 1),
            new("the cat sat on the mat.", "where?", ["the mat"], 2),
            new("the cat sat on the mat.", "what sat?", ["the cat"], 3),
            new("the dog ate the cat food.", "who ate?", ["the dog"], 4),
        ];

        Assert.Equal(4, new KeftStage(compressor, samples, [4], SmallKeft, seed: 1).Sequences);
        Assert.Equal(3, new KeftStage(compressor, samples, [4], SmallKeft, seed: 1, questionsPerContext: 2).Sequences);
        var packed = new KeftStage(compressor, samples, [4], SmallKeft, seed: 1, questionsPerContext: 8);
        Assert.Equal(2, packed.Sequences);
        Assert.Equal(new DataReport(4, 4, 0, 0), packed.Report);
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeftStage(compressor, samples, [4], SmallKeft, seed: 1, questionsPerContext: 0));

        string output = Path.Combine(_directory, "keft-packed");
        Trainer.Run(packed, new TrainingOptions { Steps = 60, LearningRate = 5e-3, WarmupSteps = 5, BatchSize = 2, Seed = 1 }, output, resume: false);
        double first = FirstAndLastLoss(output, out double last);
        Assert.True(last < first / 3, $"loss fell only from {first:F3} to {last:F3}");
    }

    [Fact]
    public void FullContextQaPacksQuestionsAfterOneCopyOfTheirContextAndTrainsOnlyTheAnswers()
    {
        using var lm = LoadModel();
        var tokenizer = lm.Tokenizer!;
        int eos = lm.EosTokenIds.Single();
        GmsaSample[] samples =
        [
            new("the cat sat on the mat.", "who sat?", ["the cat"], 1),
            new("the cat sat on the mat.", "where?", ["the mat"], 2),
            new("the dog ate.", "who ate?", ["the dog"], 3),
        ];
        int[] Ids(string text) => [.. tokenizer.Encode(text, addBos: false)];

        var stage = new FullContextQaStage(lm, samples, new PromptLayout { QuestionTemplate = "Q: {question}\nA:", AnswerPrefix = " " }, sequenceLength: 100, trainContext: false, seed: 1);

        Assert.Equal(2, stage.Sequences);
        (int[] tokens, bool[] trained) = stage.SequenceTokens[0];
        int[] context = Ids("the cat sat on the mat.");
        int[] first = Ids("\n\nQ: who sat?\nA:"), firstAnswer = [.. Ids(" the cat"), .. Ids("\n")];
        int[] second = Ids("Q: where?\nA:"), secondAnswer = [.. Ids(" the mat"), eos];
        Assert.Equal([.. context, .. first, .. firstAnswer, .. second, .. secondAnswer], tokens);
        bool[] expected = [.. context.Select(_ => false), .. first.Select(_ => false), .. firstAnswer.Select(_ => true),
            .. second.Select(_ => false), .. secondAnswer.Select(_ => true)];
        Assert.Equal(expected, trained);
        Assert.Equal(new DataReport(3, 3, 0, 0), stage.Report);

        // Up to the first answer, exactly what the full-prompt baseline asks with.
        var layout = new PromptLayout { QuestionTemplate = "Q: {question}\nA:", AnswerPrefix = " " };
        Assert.Equal(new FullPromptBaseline(lm, layout).PromptTokens(context, "who sat?"), tokens.Take(context.Length + first.Length));
        var withContext = new FullContextQaStage(lm, samples, new PromptLayout { QuestionTemplate = "Q: {question}\nA:", AnswerPrefix = " " }, sequenceLength: 100, trainContext: true, seed: 1);
        Assert.All(withContext.SequenceTokens[0].Trained.Take(context.Length), Assert.True);
    }

    [Fact]
    public void FullContextQaOpensEverySequenceWithTheBaselinesPromptIncludingBosWhereTheTokenizerAddsIt()
    {
        // The same model, its tokenizer told to start every text with BOS (as Llama's and Mistral's do).
        string withBos = Path.Combine(_directory, "with-bos");
        Directory.CreateDirectory(withBos);
        foreach (string file in Directory.GetFiles(_model))
        {
            File.Copy(file, Path.Combine(withBos, Path.GetFileName(file)));
        }
        File.WriteAllText(Path.Combine(withBos, "tokenizer_config.json"),
            $$"""{"eos_token": "{{TinyTextModel.EosToken}}", "bos_token": "{{TinyTextModel.EosToken}}", "add_bos_token": true}""");
        using var lm = CausalLM.FromPretrained(withBos, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
        var tokenizer = lm.Tokenizer!;
        Assert.True(tokenizer.AddBos);
        var layout = new PromptLayout { QuestionTemplate = "Q: {question}\nA:", AnswerPrefix = " " };
        GmsaSample[] samples =
        [
            new("the cat sat on the mat.", "who sat?", ["the cat"], 1),
            new("the cat sat on the mat.", "where?", ["the mat"], 2),
        ];
        int[] context = [.. tokenizer.Encode("the cat sat on the mat.", addBos: false)];
        int[] opening = new FullPromptBaseline(lm, layout).PromptTokens(context, "who sat?");

        // Room for one question per sequence: the context is repeated, and each copy opens as the baseline asks.
        var stage = new FullContextQaStage(lm, samples, layout, sequenceLength: opening.Length + 4, trainContext: false, seed: 1);

        Assert.Equal(2, stage.Sequences);
        Assert.Equal(tokenizer.BosId, opening[0]);
        Assert.Equal(opening, stage.SequenceTokens[0].Tokens.Take(opening.Length));
        Assert.Equal(new FullPromptBaseline(lm, layout).PromptTokens(context, "where?"), stage.SequenceTokens[1].Tokens.SkipLast(tokenizer.Encode(" the mat", addBos: false).Count + 1));
    }

    [Fact]
    public void FullContextQaRepeatsTheContextForQuestionsThatDoNotFitAndRejectsContextsThatLeaveNoRoom()
    {
        using var lm = LoadModel();
        GmsaSample[] samples =
        [
            new("the cat sat.", "who sat?", ["the cat"], 1),
            new("the cat sat.", "who sat there?", ["the cat"], 2),
            new("the dog ate the cat food. the cat sat on the mat. the dog sat on the mat.", "who?", ["the dog"], 3),
        ];
        int one = lm.Tokenizer!.Encode("the cat sat.\n\nwho sat there? the cat", addBos: false).Count + 1;

        var stage = new FullContextQaStage(lm, samples, new PromptLayout { QuestionTemplate = "{question}", AnswerPrefix = " " }, sequenceLength: one + 2, trainContext: false, seed: 1);

        Assert.Equal(2, stage.Sequences);
        Assert.All(stage.SequenceTokens, s => Assert.True(s.Tokens.Length - 1 <= one + 2));
        Assert.Equal(new DataReport(3, 2, 0, 1), stage.Report);
        Assert.Throws<InvalidDataException>(() => new FullContextQaStage(lm, samples[2..], new PromptLayout { QuestionTemplate = "{question}", AnswerPrefix = "" }, sequenceLength: 8, trainContext: false, seed: 1));
        Assert.Throws<ArgumentException>(() => new FullContextQaStage(lm, samples, new PromptLayout { QuestionTemplate = "no placeholder", AnswerPrefix = "" }, sequenceLength: 64, trainContext: false, seed: 1));
    }

    [Fact]
    public void FullContextQaTrainingLearnsTheAnswers()
    {
        using var lm = LoadModel();
        var stage = new FullContextQaStage(lm, QaSamples, new PromptLayout { QuestionTemplate = "{question}", AnswerPrefix = " " }, sequenceLength: 64, trainContext: false, seed: 1);
        string output = Path.Combine(_directory, "qa");

        Trainer.Run(stage, new TrainingOptions { Steps = 40, LearningRate = 3e-3, WarmupSteps = 4, BatchSize = 2, WeightDecay = 0 }, output, resume: false);

        double first = FirstAndLastLoss(output, out double last);
        Assert.True(last < first / 5, $"loss fell only from {first:F3} to {last:F3}");
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void ResumingFromACheckpointReproducesUninterruptedTraining()
    {
        var options = new TrainingOptions { Steps = 8, LearningRate = 1e-3, WarmupSteps = 2, BatchSize = 2, Seed = 3, CheckpointEvery = 4 };
        string straight = Path.Combine(_directory, "straight"), interrupted = Path.Combine(_directory, "interrupted");

        Dictionary<string, Tensor> uninterrupted;
        using (var lm = LoadModel())
        using (var compressor = GmsaCompressor.Create(lm, SmallGmsa with { EncoderLora = SmallGmsa.EncoderLora with { Dropout = 0.1 } }))
        {
            Trainer.Run(new AutoencodeStage(compressor, AeSamples, [2, 4], 32, OverlongPolicy.Reject, 3), options, straight, resume: false);
            uninterrupted = Snapshot(compressor.named_parameters().Select(p => (p.name, p.parameter)));
        }
        using (var lm = LoadModel())
        using (var compressor = GmsaCompressor.Create(lm, SmallGmsa with { EncoderLora = SmallGmsa.EncoderLora with { Dropout = 0.1 } }))
        {
            using var stop = new CancellationTokenSource();
            var progress = new SynchronousProgress<TrainingProgress>(p => { if (p.Step == 5) stop.Cancel(); });
            TrainingResult partial = Trainer.Run(new AutoencodeStage(compressor, AeSamples, [2, 4], 32, OverlongPolicy.Reject, 3), options, interrupted, resume: false, progress, stop.Token);
            Assert.True(partial.Interrupted);
            Assert.Equal(5, partial.Steps);
        }
        using (var lm = LoadModel())
        using (var compressor = GmsaCompressor.Create(lm, SmallGmsa with { EncoderLora = SmallGmsa.EncoderLora with { Dropout = 0.1 } }))
        {
            TrainingResult resumed = Trainer.Run(new AutoencodeStage(compressor, AeSamples, [2, 4], 32, OverlongPolicy.Reject, 3), options, interrupted, resume: true);

            Assert.Equal(8, resumed.Steps);
            Assert.All(compressor.named_parameters(), p => Assert.True(p.parameter.allclose(uninterrupted[p.name], rtol: 1e-6, atol: 1e-7), $"{p.name} differs after resume"));
        }
        Assert.Equal(Trainer.ReadMetrics(Path.Combine(straight, Trainer.MetricsFile)).Select(m => m.Loss).ToArray(),
            Trainer.ReadMetrics(Path.Combine(interrupted, Trainer.MetricsFile)).Select(m => m.Loss).ToArray());
    }

    [Fact]
    public void TrainingIntoAFolderWithACheckpointNeedsResume()
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa);
        var stage = new AutoencodeStage(compressor, AeSamples, [4], 32, OverlongPolicy.Reject, 1);
        string output = Path.Combine(_directory, "twice");
        Trainer.Run(stage, new TrainingOptions { Steps = 1 }, output, resume: false);

        var error = Assert.Throws<InvalidOperationException>(() => Trainer.Run(stage, new TrainingOptions { Steps = 1 }, output, resume: false));

        Assert.Contains("already holds a checkpoint", error.Message);
        TrainingResult complete = Trainer.Run(stage, new TrainingOptions { Steps = 1 }, output, resume: true);
        Assert.Equal((1, false, (double?)null), (complete.Steps, complete.Interrupted, complete.LastLoss));
        Assert.Throws<FileNotFoundException>(() => Trainer.Run(stage, new TrainingOptions { Steps = 1 }, Path.Combine(_directory, "empty"), resume: true));
    }

    [Fact]
    public void RateDrawsCoverTheConfiguredSet()
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa);
        var stage = new AutoencodeStage(compressor, AeSamples, [4, 8, 16], 32, OverlongPolicy.Reject, 1);

        var draws = Enumerable.Range(0, 300).Select(i => stage.RateAt(7, i)).ToArray();

        Assert.Equal(new[] { 4, 8, 16 }, draws.Distinct().Order().ToArray());
        Assert.All(new[] { 4, 8, 16 }, rate => Assert.InRange(draws.Count(d => d == rate), 60, 140));
        Assert.Equal(draws, Enumerable.Range(0, 300).Select(i => stage.RateAt(7, i)).ToArray());
    }

    [Fact]
    public void OverlongSamplesAreWindowedOrRejectedAndCounted()
    {
        using var lm = LoadModel();
        using var compressor = GmsaCompressor.Create(lm, SmallGmsa);
        GmsaSample[] samples = [.. AeSamples, new(string.Join(" ", Enumerable.Repeat("the cat sat on the mat.", 8)), null, [], 3)];

        var windowed = new AutoencodeStage(compressor, samples, [4], 16, OverlongPolicy.Window, 1);
        var rejected = new AutoencodeStage(compressor, samples, [4], 16, OverlongPolicy.Reject, 1);

        Assert.Equal(1, windowed.Report.Windowed);
        Assert.True(windowed.Report.Used > 3);
        Assert.Equal(new DataReport(3, 2, 0, 1), rejected.Report);
    }

    [Fact]
    public void TheScheduleWarmsUpThenDecays()
    {
        var cosine = new LearningRateSchedule(1.0, 4, 14, LearningRateDecay.Cosine);
        var linear = new LearningRateSchedule(1.0, 4, 14, LearningRateDecay.Linear);

        Assert.Equal(0.25, cosine.At(0), 12);
        Assert.Equal(1.0, cosine.At(3), 12);
        Assert.Equal(1.0, cosine.At(4), 12);
        Assert.Equal(0.5, cosine.At(9), 12);
        Assert.Equal(0.5, linear.At(9), 12);
        Assert.Equal(0.0, cosine.At(14), 12);
    }

    [Fact]
    public void BadOptionsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Steps = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Steps = 10, LearningRate = -1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Steps = 10, WarmupSteps = 11 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Steps = 10, Beta1 = -0.1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Steps = 10, Beta2 = 1.0 }.Validate());
    }

    /// <summary>
    /// The defaults are PyTorch's (0.9, 0.999) for every parameter group, and another beta2 changes the
    /// updates (Adam's first step is the same for any betas, so three steps are taken).
    /// </summary>
    [Fact]
    public void AdamBetasReachEveryParameterGroup()
    {
        string text = Path.Combine(_directory, "corpus.txt");
        File.WriteAllText(text, string.Join("\n\n", Enumerable.Repeat("the cat sat on the mat. the dog ate the cat food.", 6)));
        Dictionary<string, Tensor> Train(TrainingOptions options, string name)
        {
            using var lm = LoadModel();
            Trainer.Run(new PretrainStage(lm, [text], sequenceLength: 24, seed: 1), options, Path.Combine(_directory, name), resume: false);
            return Snapshot(lm.named_parameters().Select(p => (p.name, p.parameter)));
        }
        var options = new TrainingOptions { Steps = 3, LearningRate = 3e-3, WarmupSteps = 0, BatchSize = 2 };

        var byDefault = Train(options, "default");
        var stated = Train(options with { Beta1 = 0.9, Beta2 = 0.999 }, "stated");
        var faster = Train(options with { Beta2 = 0.5 }, "faster");

        Assert.All(byDefault, p => Assert.True(p.Value.allclose(stated[p.Key], rtol: 0, atol: 0), $"{p.Key} differs from an explicit (0.9, 0.999)"));
        Assert.All(byDefault, p => Assert.False(p.Value.allclose(faster[p.Key], rtol: 0, atol: 0), $"{p.Key} ignored beta2"));
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

/// <summary>Tests that rely on TorchSharp's process-wide random generator must not run beside others.</summary>
[CollectionDefinition(nameof(GlobalRandomCollection), DisableParallelization = true)]
public sealed class GlobalRandomCollection;
