using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Tokenization;
using static TorchSharp.torch;

namespace GmsaSharp.Compression;

/// <summary>
/// Question answering over compressed contexts for one <see cref="GmsaCompressor"/>: the decoder reads
/// [soft tokens][question] with the KEFT adapters, through the one decode loop fed with the soft tokens' KV cache,
/// which the context keeps across questions. Kept apart from the compressor so that the compressor's own code is
/// compression; it reads the compressor's current base, adapters and configuration on every call, since KEFT
/// training adds adapters after construction.
/// </summary>
internal sealed class CompressedAnswering
{
    private readonly GmsaCompressor _gmsa;

    /// <summary>Answering for <paramref name="gmsa"/> (not owned).</summary>
    public CompressedAnswering(GmsaCompressor gmsa) => _gmsa = gmsa;

    /// <summary>See <see cref="GmsaCompressor.AnswerAsync"/>.</summary>
    public async Task<GenerationResult> AnswerAsync(CompressedContext context, string question, GenerationOptions? options, CancellationToken cancellationToken)
    {
        (HfTokenizer tokenizer, IReadOnlyList<int> prompt, GenerationOptions checkedOptions) = PrepareQuestion(context, question, options);
        return await Task.Run(async () =>
        {
            await context.EnterAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                GenerationResult result = await TextGeneration.CollectAsync(tokenizer, AnswerTokensEntered(context, prompt, checkedOptions, cancellationToken),
                    context.SoftTokenCount + prompt.Count, checkedOptions, cancellationToken).ConfigureAwait(false);
                return result with { Text = AnswerPrefix.Strip(result.Text, _gmsa.Config.AnswerPrefix) };
            }
            finally
            {
                context.Exit();
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>See <see cref="GmsaCompressor.StreamAnswerAsync"/>.</summary>
    public async IAsyncEnumerable<string> StreamAnswerAsync(CompressedContext context, string question, GenerationOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        (HfTokenizer tokenizer, IReadOnlyList<int> prompt, GenerationOptions checkedOptions) = PrepareQuestion(context, question, options);
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task producer = Task.Run(async () =>
        {
            try
            {
                await context.EnterAsync(stop.Token).ConfigureAwait(false);
                try
                {
                    var text = TextGeneration.DetokenizeAsync(tokenizer, AnswerTokensEntered(context, prompt, checkedOptions, stop.Token), checkedOptions, _ => { }, stop.Token);
                    await foreach (string piece in AnswerPrefix.Strip(text, _gmsa.Config.AnswerPrefix).ConfigureAwait(false))
                    {
                        pieces.Writer.TryWrite(piece);
                    }
                }
                finally
                {
                    context.Exit();
                }
                pieces.Writer.Complete();
            }
            catch (Exception e)
            {
                pieces.Writer.Complete(e);
            }
        }, CancellationToken.None);
        try
        {
            await foreach (string piece in pieces.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return piece;
            }
        }
        finally
        {
            // A consumer that stops early (or fails) ends the generation; the context is free again once it has.
            stop.Cancel();
            await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>See <see cref="GmsaCompressor.AnswerTokens"/>.</summary>
    public IEnumerable<int> AnswerTokens(CompressedContext context, IReadOnlyList<int> promptIds, GenerationOptions options, CancellationToken cancellationToken)
    {
        CheckAnswerable(context, promptIds, options);
        return AnswerTokensLocked(context, promptIds, options, cancellationToken);
    }

    private IEnumerable<int> AnswerTokensLocked(CompressedContext context, IReadOnlyList<int> promptIds, GenerationOptions options, CancellationToken cancellationToken)
    {
        context.Enter(cancellationToken);
        try
        {
            foreach (int id in AnswerTokensEntered(context, promptIds, options, cancellationToken))
            {
                yield return id;
            }
        }
        finally
        {
            context.Exit();
        }
    }

    // The answer loop proper: the decode loop, fed with the soft tokens' cache (prefilled on the first step, inside the
    // caller's hold on the context). As in the reference (generation from input embeddings), the repetition penalty
    // counts generated tokens only.
    private IEnumerable<int> AnswerTokensEntered(CompressedContext context, IReadOnlyList<int> promptIds, GenerationOptions options, CancellationToken cancellationToken)
    {
        IProjectionAdapters? adapters = _gmsa.ReaderAdapters();
        foreach (int id in TokenGenerator.Decode(_gmsa.Model, SoftTokenCache(context, adapters), promptIds, history: [], options, adapters, cancellationToken))
        {
            yield return id;
        }
    }

    // The decoder cache holds a prefix of the soft tokens (an extended context starts with the earlier one's),
    // all of them, or all of them followed by the previous question: this leaves exactly the soft tokens.
    private KvCache SoftTokenCache(CompressedContext context, IProjectionAdapters? adapters)
    {
        KvCache cache = context.DecoderCache ??= _gmsa.Model.NewCache();
        if (cache.Length >= context.SoftTokenCount)
        {
            cache.Truncate(context.SoftTokenCount);
            return cache;
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor missing = context.HeldSoftTokens.narrow(0, cache.Length, context.SoftTokenCount - cache.Length);
        _gmsa.Model.HiddenStates(inputEmbeddings: missing.unsqueeze(0), cache: cache, adapters: adapters);
        return cache;
    }

    private (HfTokenizer Tokenizer, IReadOnlyList<int> Prompt, GenerationOptions Options) PrepareQuestion(CompressedContext context, string question, GenerationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(context);
        options ??= _gmsa.DefaultAnswerOptions;
        HfTokenizer tokenizer = _gmsa.RequireTokenizer();
        IReadOnlyList<int> prompt = QuestionTokens(tokenizer, question);
        CheckAnswerable(context, prompt, options);
        return (tokenizer, prompt, options);
    }

    private void CheckAnswerable(CompressedContext context, IReadOnlyList<int> promptIds, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(promptIds);
        ArgumentNullException.ThrowIfNull(options);
        _gmsa.CheckCompatible(context);
        if (promptIds.Count == 0)
        {
            throw new ArgumentException("The question has no tokens.", nameof(promptIds));
        }
        options.Validate();
        long needed = (long)context.SoftTokenCount + promptIds.Count + options.MaxNewTokens;
        if (needed > _gmsa.Model.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"{context.SoftTokenCount} soft tokens + {promptIds.Count} question tokens + {options.MaxNewTokens} new tokens = {needed} positions, " +
                $"more than the decoder's {_gmsa.Model.Config.MaxPositionEmbeddings}.");
        }
    }

    private IReadOnlyList<int> QuestionTokens(HfTokenizer tokenizer, string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (string.IsNullOrWhiteSpace(question))
        {
            throw new ArgumentException("The question is empty.", nameof(question));
        }
        return tokenizer.Encode(_gmsa.Config.Prompts.QuestionPrompt(question), addBos: false);
    }
}
