using GmsaSharp.Compression;

namespace GmsaSharp.Tests.Support;

/// <summary>A valid GMSA config for a 2-block, 8-wide base, for tests of the config file itself (no weights).</summary>
internal static class SmallGmsaConfig
{
    public static readonly PromptLayout Qa = new() { QuestionTemplate = "Question: {question}\nAnswer:", AnswerPrefix = " " };

    public static GmsaConfig Create(string? fullPromptTemplate = null) => new()
    {
        BaseArchitecture = "LlamaForCausalLM",
        BaseHiddenSize = 8,
        BaseLayers = 2,
        BaseVocabSize = 16,
        BaseFingerprint = "0000000000000000",
        EncoderLayers = 1,
        EncoderLora = new GmsaOptions().EncoderLora,
        WindowSize = 16,
        QuestionTemplate = Qa.QuestionTemplate,
        AnswerPrefix = Qa.AnswerPrefix,
        FullPromptTemplate = fullPromptTemplate,
    };
}
