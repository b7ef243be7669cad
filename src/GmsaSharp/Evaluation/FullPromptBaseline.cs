using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Tokenization;

namespace GmsaSharp.Evaluation;

/// <summary>
/// The uncompressed comparison: the plain decoder reads the whole context followed by the same question
/// prompt GMSA uses, laid out by <see cref="PromptLayout.FullPromptTemplate"/>.
/// </summary>
public sealed class FullPromptBaseline
{
    private readonly CausalLM _lm;
    private readonly PromptLayout _prompts;

    /// <summary>A baseline for <paramref name="lm"/> that asks with <paramref name="prompts"/> (a GMSA checkpoint's:
    /// <see cref="GmsaConfig.Prompts"/>).</summary>
    public FullPromptBaseline(CausalLM lm, PromptLayout prompts)
    {
        ArgumentNullException.ThrowIfNull(lm);
        ArgumentNullException.ThrowIfNull(prompts);
        prompts.Validate();
        _lm = lm;
        _prompts = prompts;
    }

    private HfTokenizer Tokenizer => _lm.Tokenizer ?? throw new InvalidOperationException("The full-prompt baseline needs the model's tokenizer.");

    /// <summary>The decoder's token ids for <paramref name="contextTokens"/> and <paramref name="question"/>.</summary>
    public int[] PromptTokens(IReadOnlyList<int> contextTokens, string question)
    {
        (string beforeContext, string afterContext) = _prompts.FullPrompt(question);
        IReadOnlyList<int> before = Tokenizer.Encode(beforeContext);
        IReadOnlyList<int> after = Tokenizer.Encode(afterContext, addBos: false);
        return [.. before, .. contextTokens, .. after];
    }

    /// <summary>Answers <paramref name="question"/> about <paramref name="contextTokens"/> with the plain decoder.</summary>
    public Task<GenerationResult> AnswerAsync(IReadOnlyList<int> contextTokens, string question, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        int[] prompt = PromptTokens(contextTokens, question);
        long needed = (long)prompt.Length + options.MaxNewTokens;
        if (needed > _lm.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException($"The full prompt has {prompt.Length} tokens; with {options.MaxNewTokens} new tokens that exceeds the model's {_lm.Config.MaxPositionEmbeddings} positions.");
        }
        return TextGeneration.CollectAsync(Tokenizer, TokenGenerator.Generate(_lm, prompt, options, cancellationToken), prompt.Length, options, cancellationToken);
    }

    /// <summary>Answers about a context given as text.</summary>
    public Task<GenerationResult> AnswerAsync(string context, string question, GenerationOptions options, CancellationToken cancellationToken = default) =>
        AnswerAsync(Tokenizer.Encode(context, addBos: false), question, options, cancellationToken);
}
