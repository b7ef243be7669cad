using GmsaSharp.Models;

namespace GmsaSharp.Compression;

/// <summary>Choices for a fresh (untrained) compressor; null picks the paper's proportions.</summary>
public sealed record GmsaOptions
{
    /// <summary>k, encoder blocks; default a quarter of the base's blocks (the paper: 8 of 32), at least 1.</summary>
    public int? EncoderLayers { get; init; }

    /// <summary>The encoder LoRA; default the reference's r = 128, alpha = 32, dropout 0.05 on every projection.</summary>
    public LoraSettings EncoderLora { get; init; } = new(128, 32, 0.05, LoraSettings.AllProjections);

    /// <summary>n, LSA blocks (the paper: 1; more is worse).</summary>
    public int LsaLayers { get; init; } = 1;

    /// <summary>Encoder window; default min(512, max_position_embeddings).</summary>
    public int? WindowSize { get; init; }

    /// <summary>The prompt layout the checkpoint is trained and asked with (saved in <c>gmsa_config.json</c>).</summary>
    public PromptLayout Prompts { get; init; } = PromptLayout.Default;

    /// <summary>Strings that end an answer by default (saved as <c>answer_stop_strings</c>).</summary>
    public IReadOnlyList<string> AnswerStopStrings { get; init; } = GmsaConfig.DefaultAnswerStopStrings;

    /// <summary>The most answer tokens by default (saved as <c>answer_max_new_tokens</c>).</summary>
    public int AnswerMaxNewTokens { get; init; } = GmsaConfig.DefaultAnswerMaxNewTokens;

    /// <summary>Seed of the adapters' initialisation.</summary>
    public long Seed { get; init; } = 1;
}
