using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Tokenization;

namespace GmsaSharp.Evaluation;

/// <summary>
/// The uncompressed comparison: the plain decoder reads the whole context followed by the same question
/// prompt GMSA uses, laid out by a template (<c>{context}</c> and <c>{prompt}</c>).
/// </summary>
public sealed class FullPromptBaseline(CausalLM lm, GmsaConfig config, string template = FullPromptBaseline.DefaultTemplate)
{
    /// <summary>Context, a blank line, then the question prompt.</summary>
    public const string DefaultTemplate = "{context}\n\n{prompt}";

    private HfTokenizer Tokenizer => lm.Tokenizer ?? throw new InvalidOperationException("The full-prompt baseline needs the model's tokenizer.");

    /// <summary>The decoder's token ids for <paramref name="contextTokens"/> and <paramref name="question"/>.</summary>
    public int[] PromptTokens(IReadOnlyList<int> contextTokens, string question)
    {
        if (!template.Contains("{context}", StringComparison.Ordinal))
        {
            throw new ArgumentException($"The full-prompt template must contain {{context}}, got '{template}'.");
        }
        string[] parts = template.Split("{context}", 2);
        IReadOnlyList<int> before = Tokenizer.Encode(parts[0]);
        IReadOnlyList<int> after = Tokenizer.Encode(parts[1].Replace("{prompt}", config.QuestionPrompt(question), StringComparison.Ordinal), addBos: false);
        return [.. before, .. contextTokens, .. after];
    }

    /// <summary>Answers <paramref name="question"/> about <paramref name="contextTokens"/> with the plain decoder.</summary>
    public Task<GenerationResult> AnswerAsync(IReadOnlyList<int> contextTokens, string question, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        int[] prompt = PromptTokens(contextTokens, question);
        long needed = (long)prompt.Length + options.MaxNewTokens;
        if (needed > lm.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException($"The full prompt has {prompt.Length} tokens; with {options.MaxNewTokens} new tokens that exceeds the model's {lm.Config.MaxPositionEmbeddings} positions.");
        }
        return TextGeneration.CollectAsync(Tokenizer, TokenGenerator.Generate(lm, prompt, options, cancellationToken), prompt.Length, options, cancellationToken);
    }

    /// <summary>Answers about a context given as text.</summary>
    public Task<GenerationResult> AnswerAsync(string context, string question, GenerationOptions options, CancellationToken cancellationToken = default) =>
        AnswerAsync(Tokenizer.Encode(context, addBos: false), question, options, cancellationToken);
}
