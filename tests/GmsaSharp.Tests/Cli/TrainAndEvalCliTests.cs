using System.Text.Json;
using GmsaSharp.Compression;
using GmsaSharp.Evaluation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Cli;

/// <summary>The whole command-line pipeline at toy scale: synth, train pretrain, autoencode, keft, eval.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class TrainAndEvalCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-pipeline-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string P(string name) => Path.Combine(_directory, name);

    private static void Ok((int Code, string Out, string Error) run) => Assert.True(run.Code == 0, run.Error + run.Out);

    [Fact]
    public void SynthThenEveryTrainingStageThenEvalProduceUsableArtifacts()
    {
        Ok(CliRunner.Run("synth", "--out", P("bio"), "--people", "60", "--train-docs", "6", "--validation-docs", "2", "--test-docs", "2",
            "--min-bios", "2", "--max-bios", "3", "--questions-per-doc", "2", "--vocab", "400"));
        File.WriteAllText(P("config.json"), """
            {"architectures": ["LlamaForCausalLM"], "vocab_size": 400, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 2048, "tie_word_embeddings": true}
            """);
        string[] common = ["--dtype", "float32", "--log-every", "1", "--seed", "3"];

        Ok(CliRunner.Run(["train", "pretrain", "--config", P("config.json"), "--tokenizer", P("bio/tokenizer"), "--data", P("bio/train/pretrain.txt"),
            "--seq-len", "128", "--packing", "records", "--steps", "3", "--out", P("base"), .. common]));
        Ok(CliRunner.Run(["train", "qa", "--model", P("base"), "--data", P("bio/train/qa.jsonl"), "--seq-len", "512",
            "--question-template", "Question: {question}\nAnswer:", "--answer-prefix", " ", "--context-loss", "--steps", "2", "--out", P("qa"), .. common]));
        Ok(CliRunner.Run(["train", "autoencode", "--model", P("base"), "--data", P("bio/train/ae.jsonl"), "--rates", "4,8", "--encoder-layers", "1",
            "--lora-rank", "4", "--window", "64", "--steps", "2", "--question-template", "Question: {question}\nAnswer:", "--answer-prefix", " ",
            "--out", P("ae"), .. common]));
        Ok(CliRunner.Run(["train", "keft", "--model", P("base"), "--gmsa", P("ae"), "--data", P("bio/train/qa.jsonl"), "--rates", "4",
            "--keft-rank", "4", "--keft-targets", "q_proj,v_proj,down_proj", "--train-compressor", "--questions-per-context", "2", "--steps", "2", "--out", P("gmsa"), .. common]));
        Ok(CliRunner.Run(["train", "keft", "--model", P("base"), "--gmsa", P("ae"), "--data", P("bio/train/qa.jsonl"), "--rates", "8",
            "--keft-rank", "2", "--steps", "1", "--out", P("gmsa-frozen"), .. common]));
        var restating = CliRunner.Run(["train", "keft", "--model", P("base"), "--gmsa", P("ae"), "--data", P("bio/train/qa.jsonl"), "--rates", "4",
            "--keft-rank", "2", "--train-compressor", "--autoencode-weight", "0.5", "--steps", "1", "--out", P("gmsa-restating"), .. common]);
        Ok(restating);
        Assert.Contains("with restatement weighted 0.5", restating.Out);
        // A compressor continues on its base after further fine-tuning ("qa" is "base" trained on): only when asked.
        string[] moveKeft = ["train", "keft", "--model", P("qa"), "--gmsa", P("gmsa"), "--data", P("bio/train/qa.jsonl"), "--rates", "4",
            "--keft-rank", "4", "--keft-targets", "q_proj,v_proj,down_proj", "--train-compressor", "--steps", "1", "--out", P("gmsa-moved"), .. common];
        var refused = CliRunner.Run(moveKeft);
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("fingerprint", refused.Error);
        Ok(CliRunner.Run([.. moveKeft, "--adopt-base"]));
        // A student distilled from the KEFT-trained compressor keeps its KEFT adapters; a second run resumes it.
        var distilled = CliRunner.Run(["train", "distill", "--model", P("base"), "--teacher", P("gmsa"), "--data", P("bio/train/qa.jsonl"), "--rates", "4",
            "--encoder-layers", "1", "--lsa-layers", "2", "--steps", "2", "--checkpoint-every", "1", "--out", P("student"), .. common]);
        Ok(distilled);
        Assert.Contains("distill: 6 samples read, 6 used", distilled.Out);
        Assert.Contains("student encoder 1 blocks, LSA 2; teacher encoder 1, LSA 1", distilled.Out);
        Ok(CliRunner.Run(["train", "distill", "--model", P("base"), "--teacher", P("gmsa"), "--data", P("bio/train/qa.jsonl"), "--rates", "4",
            "--encoder-layers", "1", "--lsa-layers", "2", "--steps", "3", "--resume", "--out", P("student"), .. common]));
        Assert.Equal(3, File.ReadAllLines(P("student/metrics.jsonl")).Length);
        Ok(CliRunner.Run("eval", "--model", P("base"), "--gmsa", P("gmsa"), "--data", P("bio/test/qa.jsonl"), "--limit", "2", "--rates", "4",
            "--truncation", "--max-new-tokens", "4", "--dtype", "float32", "--group-by", "attribute,biography", "--out", P("eval")));

        foreach (string stage in new[] { "base", "qa", "ae", "gmsa" })
        {
            Assert.True(File.Exists(P($"{stage}/loss.png")), $"{stage} has no loss curve");
            Assert.True(File.Exists(P($"{stage}/checkpoint/trainer_state.json")), $"{stage} has no checkpoint");
        }
        Assert.Equal(3, File.ReadAllLines(P("base/metrics.jsonl")).Length);
        using var lm = CausalLM.FromPretrained(P("base"), new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
        using var compressor = GmsaCompressor.FromPretrained(P("gmsa"), lm);
        Assert.NotNull(compressor.KeftLora);
        Assert.Equal(new[] { "q_proj", "v_proj", "down_proj" }, compressor.Config.KeftLora!.Targets);
        // --train-compressor: KEFT moved the autoencoder's encoder LoRA too.
        using var autoencoder = GmsaCompressor.FromPretrained(P("ae"), lm);
        Assert.False(compressor.EncoderLora.parameters().Zip(autoencoder.EncoderLora.parameters()).All(p => p.First.allclose(p.Second, rtol: 0, atol: 0)),
            "KEFT with --train-compressor left the encoder LoRA as autoencoding saved it");
        // Without it (the paper's KEFT), q/k/v adapters and the autoencoder's compressor unchanged.
        using var frozen = GmsaCompressor.FromPretrained(P("gmsa-frozen"), lm);
        using (var restatingGmsa = GmsaCompressor.FromPretrained(P("gmsa-restating"), lm))
        {
            Assert.NotNull(restatingGmsa.KeftLora);
        }
        using (JsonDocument state = JsonDocument.Parse(File.ReadAllText(P("gmsa-restating/checkpoint/trainer_state.json"))))
        {
            Assert.Equal("keft+compressor+autoencode=0.5", state.RootElement.GetProperty("stage").GetString());
        }
        Assert.Equal(LoraSettings.QueryKeyValue, frozen.Config.KeftLora!.Targets);
        Assert.True(frozen.EncoderLora.parameters().Zip(autoencoder.EncoderLora.parameters()).All(p => p.First.allclose(p.Second, rtol: 0, atol: 0)),
            "KEFT without --train-compressor changed the encoder LoRA");
        // The MLP projection was trained, not only listed: its B left zero.
        using (var b = compressor.KeftLora!.named_parameters().Single(p => p.name == "layers.0.down_proj.lora_B").parameter.detach())
        {
            Assert.True(b.abs().sum().item<float>() > 0, "KEFT LoRA B of down_proj stayed zero");
        }
        using (var student = GmsaCompressor.FromPretrained(P("student"), lm))
        {
            Assert.Equal((1, 2), (student.Config.EncoderLayers, student.Config.LsaLayers));
            Assert.Equal(compressor.Config.KeftLora!.Targets, student.Config.KeftLora!.Targets);
        }
        using (var furtherTrained = CausalLM.FromPretrained(P("qa"), new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 }))
        using (var moved = GmsaCompressor.FromPretrained(P("gmsa-moved"), furtherTrained))
        {
            Assert.Equal(compressor.Config.KeftLora!.Targets, moved.Config.KeftLora!.Targets);
        }
        Assert.Equal("Question: {question}\nAnswer:", compressor.Config.QuestionTemplate);
        using JsonDocument results = JsonDocument.Parse(File.ReadAllText(P("eval/results.json")));
        Assert.Equal(new[] { "full prompt", "gmsa", "truncation" }, results.RootElement.EnumerateArray().Select(r => r.GetProperty("Method").GetString()).ToArray());
        Assert.Contains("| gmsa | 4x | 2 |", File.ReadAllText(P("eval/results.md")));
        // Accuracy per label of synth's QA lines, every method side by side.
        Assert.Contains("Accuracy by attribute:", File.ReadAllText(P("eval/results.md")));
        Assert.Contains("| biography | samples | full prompt Acc | gmsa 4x Acc | truncation 4x Acc |", File.ReadAllText(P("eval/results.md")));
        using JsonDocument breakdowns = JsonDocument.Parse(File.ReadAllText(P("eval/breakdowns.json")));
        Assert.Equal(["attribute", "biography"], breakdowns.RootElement.EnumerateArray().Select(b => b.GetProperty("Field").GetString()));
        Assert.All(breakdowns.RootElement.EnumerateArray(), b => Assert.Equal(2, b.GetProperty("Groups").EnumerateArray().Sum(g => g.GetProperty("Samples").GetInt32())));
        // Every method's output for every sample, with the question and gold answers, so failures can be read.
        JsonElement[] outputs = File.ReadAllLines(P("eval/outputs.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(new[] { "full prompt", "full prompt", "gmsa", "gmsa", "truncation", "truncation" }, outputs.Select(o => o.GetProperty("method").GetString()).ToArray());
        Assert.Equal(new[] { 0, 1, 0, 1, 0, 1 }, outputs.Select(o => o.GetProperty("index").GetInt32()).ToArray());
        string[] questions = File.ReadLines(P("bio/test/qa.jsonl")).Take(2).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("prompt").GetString()!).ToArray();
        Assert.Equal(questions, outputs.Take(2).Select(o => o.GetProperty("prompt").GetString()).ToArray());
        Assert.All(outputs, o => Assert.Equal(
            QaMetrics.Accuracy(o.GetProperty("output").GetString()!, o.GetProperty("references").EnumerateArray().Select(r => r.GetString()!).ToArray()) == 1.0,
            o.GetProperty("correct").GetBoolean()));

        Ok(CliRunner.Run("eval", "--model", P("base"), "--gmsa", P("gmsa"), "--data", P("bio/test/ae.jsonl"), "--limit", "1", "--rates", "4",
            "--reconstruction", "--dtype", "float32", "--out", P("recon")));
        using JsonDocument reconstruction = JsonDocument.Parse(File.ReadAllText(P("recon/results.json")));
        JsonElement row = Assert.Single(reconstruction.RootElement.EnumerateArray());
        Assert.Equal("gmsa reconstruction", row.GetProperty("Method").GetString());
        JsonElement restated = JsonDocument.Parse(Assert.Single(File.ReadAllLines(P("recon/outputs.jsonl")))).RootElement;
        string document = JsonDocument.Parse(File.ReadLines(P("bio/test/ae.jsonl")).First()).RootElement.GetProperty("input").GetString()!;
        // The reported score is the corpus BLEU of the written restatement against the document.
        Assert.Equal(Bleu.Corpus([restated.GetProperty("output").GetString()!], [document]).Score,
            row.GetProperty("Reconstruction").GetProperty("Bleu4").GetDouble(), 1e-9);
        Assert.Equal(document, Assert.Single(restated.GetProperty("references").EnumerateArray()).GetString());
        Assert.Equal(JsonValueKind.Null, restated.GetProperty("correct").ValueKind);
    }

    [Fact]
    public void ResumeContinuesAnInterruptedPretrainRunAndRefusesAnOccupiedFolder()
    {
        Ok(CliRunner.Run("synth", "--out", P("bio"), "--people", "30", "--train-docs", "3", "--validation-docs", "1", "--test-docs", "1",
            "--min-bios", "2", "--max-bios", "2", "--vocab", "300"));
        File.WriteAllText(P("config.json"), """
            {"architectures": ["LlamaForCausalLM"], "vocab_size": 300, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
             "num_attention_heads": 4, "max_position_embeddings": 512}
            """);
        string[] run = ["train", "pretrain", "--config", P("config.json"), "--tokenizer", P("bio/tokenizer"), "--data", P("bio/train/pretrain.txt"),
            "--seq-len", "64", "--out", P("base"), "--dtype", "float32", "--log-every", "1"];

        Ok(CliRunner.Run([.. run, "--steps", "2"]));
        var again = CliRunner.Run([.. run, "--steps", "4"]);
        Ok(CliRunner.Run([.. run, "--steps", "4", "--resume"]));

        Assert.Equal(2, again.Code);
        Assert.Contains("already holds a checkpoint", again.Error);
        Assert.Equal(new[] { 1, 2, 3, 4 }, File.ReadAllLines(P("base/metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()).ToArray());
    }

    [Fact]
    public void SynthNameEverySentenceWritesBiographiesWithoutLeadingPronouns()
    {
        string[] synth = ["synth", "--people", "30", "--train-docs", "2", "--validation-docs", "1", "--test-docs", "1",
            "--min-bios", "3", "--max-bios", "3", "--filler", "0", "--vocab", "0"];
        Ok(CliRunner.Run([.. synth, "--out", P("names"), "--name-every-sentence"]));
        Ok(CliRunner.Run([.. synth, "--out", P("pronouns")]));

        string Text(string corpus) => JsonDocument.Parse(File.ReadLines(P($"{corpus}/train/ae.jsonl")).First()).RootElement.GetProperty("input").GetString()!;
        Assert.DoesNotMatch(@"(^|\. )(He|She|His|Her) ", Text("names"));
        Assert.Matches(@"\. (He|She|His|Her) ", Text("pronouns"));
    }

    [Fact]
    public void SynthEmployerCitiesPerPersonIsAcceptedAndAnUnknownModeIsNamed()
    {
        string[] synth = ["synth", "--people", "30", "--train-docs", "2", "--validation-docs", "1", "--test-docs", "1",
            "--min-bios", "3", "--max-bios", "3", "--vocab", "0"];
        Ok(CliRunner.Run([.. synth, "--out", P("per-person"), "--employer-cities", "per-person"]));
        Assert.True(File.Exists(P("per-person/train/qa.jsonl")));

        var result = CliRunner.Run([.. synth, "--out", P("bad"), "--employer-cities", "per-planet"]);

        Assert.Equal(2, result.Code);
        Assert.Contains("--employer-cities must be per-company or per-person, got 'per-planet'", result.Error);
    }

    [Fact]
    public void AnUnknownPackingIsNamedInTheError()
    {
        var result = CliRunner.Run("train", "pretrain", "--model", "/nonexistent", "--data", "x.txt", "--steps", "1", "--out", P("o"), "--packing", "zip");

        Assert.Equal(2, result.Code);
        Assert.Contains("--packing must be stream or records, got 'zip'", result.Error);
    }

    [Theory]
    [InlineData("--beta1", "-0.1", "beta1")]
    [InlineData("--beta2", "1", "beta2")]
    public void AnAdamBetaOutsideZeroToOneIsNamedInTheError(string option, string value, string named)
    {
        var result = CliRunner.Run("train", "pretrain", "--model", "/nonexistent", "--data", "x.txt", "--steps", "1", "--out", P("o"), option, value);

        Assert.Equal(2, result.Code);
        Assert.Contains($"AdamW {named} must be at least 0 and below 1", result.Error);
    }

    [Theory]
    [InlineData("attribute,nosuch", "--group-by nosuch: Line 1 has no field 'nosuch'")]
    [InlineData("attribute,", "--group-by must be comma-separated field names, got 'attribute,'")]
    public void AGroupByFieldTheDataLacksIsNamedBeforeAnyModelLoads(string fields, string message)
    {
        File.WriteAllText(P("qa.jsonl"), """{"input": "doc", "prompt": "q?", "answer": "a", "attribute": "major"}""" + "\n");

        var result = CliRunner.Run("eval", "--model", "/nonexistent", "--gmsa", "g", "--data", P("qa.jsonl"), "--out", P("o"), "--group-by", fields);

        Assert.Equal(2, result.Code);
        Assert.Contains(message, result.Error);
    }

    [Theory]
    [InlineData("--keft-rank", "0", "--keft-rank: LoRA rank must be at least 1.")]
    [InlineData("--keft-alpha", "-1", "--keft-alpha: LoRA alpha must be positive.")]
    [InlineData("--keft-dropout", "1", "--keft-dropout: LoRA dropout must be in [0, 1).")]
    public void ABadKeftAdapterSettingNamesItsOption(string option, string value, string message)
    {
        var result = CliRunner.Run("train", "keft", "--model", "/nonexistent", "--gmsa", "g", "--data", "x.jsonl", "--steps", "1", "--out", P("o"), option, value);

        Assert.Equal(2, result.Code);
        Assert.Contains(message, result.Error);
    }

    [Theory]
    [InlineData("-1", "--autoencode-weight must be a number >= 0, and above 0 only with --train-compressor, got -1", true)]
    [InlineData("NaN", "--autoencode-weight must be a number >= 0, and above 0 only with --train-compressor, got NaN", true)]
    [InlineData("0.5", "got 0.5 without --train-compressor", false)]
    public void ABadAutoencodeWeightIsNamedBeforeAnyModelLoads(string weight, string message, bool trainCompressor)
    {
        string[] args = ["train", "keft", "--model", "/nonexistent", "--gmsa", "g", "--data", "x.jsonl", "--steps", "1", "--out", P("o"), "--autoencode-weight", weight];
        var result = CliRunner.Run(trainCompressor ? [.. args, "--train-compressor"] : args);

        Assert.Equal(2, result.Code);
        Assert.Contains(message, result.Error);
    }

    [Theory]
    [InlineData("q_proj,nosuch")]
    [InlineData("q_proj,q_proj")]
    [InlineData("")]
    public void AnUnknownOrRepeatedKeftTargetIsNamedBeforeAnyModelLoads(string targets)
    {
        var result = CliRunner.Run("train", "keft", "--model", "/nonexistent", "--gmsa", "g", "--data", "x.jsonl", "--steps", "1", "--out", P("o"), "--keft-targets", targets);

        Assert.Equal(2, result.Code);
        Assert.Contains($"--keft-targets must be 'all' or distinct names among q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, got '{targets}'", result.Error);
    }

    [Theory]
    [InlineData("train", "autoencode", "--model", "/nonexistent", "--data", "x.jsonl", "--steps", "1", "--out", "o")]
    [InlineData("train", "pretrain", "--data", "x.txt", "--steps", "1", "--out", "o")]
    [InlineData("train", "pretrain", "--model", "m", "--data", "x.txt", "--steps", "0", "--out", "o")]
    [InlineData("eval", "--model", "/nonexistent", "--gmsa", "g", "--data", "x.jsonl", "--out", "o", "--rates", "4,x")]
    public void BadTrainingInputGivesAMessageAndExitCodeTwo(params string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.Equal(2, result.Code);
        Assert.StartsWith("error: ", result.Error);
    }
}
