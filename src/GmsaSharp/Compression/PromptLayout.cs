namespace GmsaSharp.Compression;

/// <summary>
/// The text around a context in every prompt: the question prompt the decoder reads after the soft tokens (or
/// after the whole context, for the full-prompt baseline and full-context QA training), the text before each
/// trained answer, the autoencoding instruction, and where the full prompt puts the context. Training, inference,
/// evaluation and the CLI all read one layout, so what a model is trained on is what it is asked with.
/// </summary>
public sealed record PromptLayout
{
    /// <summary>The question alone.</summary>
    public const string DefaultQuestionTemplate = "{question}";

    /// <summary>The reference implementation's autoencoding instruction.</summary>
    public const string DefaultAutoencodeInstruction = "Restate the aforementioned text.";

    /// <summary>Context, a blank line, then the question prompt.</summary>
    public const string DefaultFullPromptTemplate = "{context}\n\n{prompt}";

    /// <summary>Every default: the question alone, no answer prefix, the reference's instruction.</summary>
    public static PromptLayout Default { get; } = new();

    /// <summary>How a question becomes the decoder prompt; <c>{question}</c> is replaced.</summary>
    public string QuestionTemplate { get; init; } = DefaultQuestionTemplate;

    /// <summary>Text before every trained answer, e.g. " " when the template ends in "Answer:" and the base model was
    /// trained on "Answer: text"; answers come back without it.</summary>
    public string AnswerPrefix { get; init; } = "";

    /// <summary>The instruction after the soft tokens in autoencoder training and reconstruction.</summary>
    public string AutoencodeInstruction { get; init; } = DefaultAutoencodeInstruction;

    /// <summary>The uncompressed prompt: <c>{context}</c> is the whole context, <c>{prompt}</c> the question prompt.</summary>
    public string FullPromptTemplate { get; init; } = DefaultFullPromptTemplate;

    /// <summary>The decoder prompt for <paramref name="question"/>.</summary>
    public string QuestionPrompt(string question) => QuestionTemplate.Replace("{question}", question, StringComparison.Ordinal);

    /// <summary>The trained text of <paramref name="answer"/>: the answer prefix, then the answer.</summary>
    public string AnswerTarget(string answer) => AnswerPrefix + answer;

    /// <summary>The full prompt's text before the context and after it (with the question prompt of <paramref name="question"/>).</summary>
    public (string BeforeContext, string AfterContext) FullPrompt(string question)
    {
        string[] parts = FullPromptTemplate.Split("{context}", 2);
        return (parts[0], parts[1].Replace("{prompt}", QuestionPrompt(question), StringComparison.Ordinal));
    }

    /// <summary>The full-prompt template split at its placeholders: the text before <c>{context}</c>, between it and
    /// <c>{prompt}</c>, and after <c>{prompt}</c>.</summary>
    internal (string BeforeContext, string BetweenContextAndPrompt, string AfterPrompt) FullPromptParts()
    {
        string[] parts = FullPromptTemplate.Split("{context}", 2);
        string[] rest = parts[1].Split("{prompt}", 2);
        return (parts[0], rest[0], rest[1]);
    }

    /// <summary>Checks the templates; the error names the template and what it lacks.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(QuestionTemplate);
        ArgumentNullException.ThrowIfNull(AnswerPrefix);
        ArgumentNullException.ThrowIfNull(AutoencodeInstruction);
        ArgumentNullException.ThrowIfNull(FullPromptTemplate);
        if (!QuestionTemplate.Contains("{question}", StringComparison.Ordinal))
        {
            throw new ArgumentException($"The question template (question_template) must contain {{question}}, got '{QuestionTemplate}'.", nameof(QuestionTemplate));
        }
        // {prompt} after {context}: a baseline that never sees the question, or sees it before the context, compares nothing.
        int context = FullPromptTemplate.IndexOf("{context}", StringComparison.Ordinal);
        if (context < 0 || FullPromptTemplate.IndexOf("{prompt}", context, StringComparison.Ordinal) < 0)
        {
            throw new ArgumentException($"The full-prompt template must contain {{context}} followed by {{prompt}}, got '{FullPromptTemplate}'.", nameof(FullPromptTemplate));
        }
    }
}
