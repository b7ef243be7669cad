using System.Diagnostics;
using System.Runtime.CompilerServices;
using GmsaSharp.Models;
using GmsaSharp.Tokenization;

namespace GmsaSharp.Generation;

/// <summary>Text in, text out: tokenizes the prompt, runs <see cref="TokenGenerator"/> and detokenizes
/// incrementally, so streamed pieces are always complete characters and stop strings are never emitted.</summary>
public static class TextGeneration
{
    /// <summary>Streams the continuation of <paramref name="prompt"/> piece by piece.</summary>
    public static async IAsyncEnumerable<string> StreamAsync(CausalLM lm, string prompt, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        HfTokenizer tokenizer = RequireTokenizer(lm);
        IReadOnlyList<int> promptIds = tokenizer.Encode(prompt);
        await foreach (string piece in DetokenizeAsync(tokenizer, TokenGenerator.Generate(lm, promptIds, options, cancellationToken), options, _ => { }, cancellationToken).ConfigureAwait(false))
        {
            yield return piece;
        }
    }

    /// <summary>Generates the whole continuation of <paramref name="prompt"/>.</summary>
    public static async Task<GenerationResult> GenerateAsync(CausalLM lm, string prompt, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        HfTokenizer tokenizer = RequireTokenizer(lm);
        IReadOnlyList<int> promptIds = tokenizer.Encode(prompt);
        return await CollectAsync(tokenizer, TokenGenerator.Generate(lm, promptIds, options, cancellationToken), promptIds.Count, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Detokenizes a token stream into text pieces, honouring stop strings; <paramref name="onToken"/> sees every id.</summary>
    internal static async IAsyncEnumerable<string> DetokenizeAsync(HfTokenizer tokenizer, IEnumerable<int> tokens, GenerationOptions options,
        Action<int> onToken, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        StreamingDecoder decoder = tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
        var stops = new StopStringFilter(options.StopStrings);
        foreach (int id in tokens)
        {
            onToken(id);
            string piece = stops.Push(decoder.Push(id));
            if (piece.Length > 0)
            {
                yield return piece;
                // Let the caller's continuation (a UI, a network write) run between tokens; the next token is
                // computed on the thread pool, never on the caller's synchronization context.
                await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            }
            if (stops.Stopped)
            {
                yield break;
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        string rest = stops.Push(decoder.Flush()) + stops.Flush();
        if (rest.Length > 0)
        {
            yield return rest;
        }
    }

    /// <summary>Runs a token stream to the end and reports text, ids, stop reason and time.</summary>
    internal static async Task<GenerationResult> CollectAsync(HfTokenizer tokenizer, IEnumerable<int> tokens, int promptTokens, GenerationOptions options,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var ids = new List<int>();
        var text = new System.Text.StringBuilder();
        await foreach (string piece in DetokenizeAsync(tokenizer, tokens, options, ids.Add, cancellationToken).ConfigureAwait(false))
        {
            text.Append(piece);
        }
        bool stoppedByString = options.StopStrings.Count > 0 && ids.Count > 0 && StopsWithin(tokenizer, ids, options);
        StopReason reason = stoppedByString ? StopReason.StopString
            : ids.Count >= options.MaxNewTokens ? StopReason.MaxNewTokens
            : StopReason.EndOfSequence;
        return new GenerationResult(text.ToString(), ids, reason, promptTokens, clock.Elapsed);
    }

    private static bool StopsWithin(HfTokenizer tokenizer, IReadOnlyList<int> ids, GenerationOptions options)
    {
        string all = tokenizer.Decode(ids, skipSpecialTokens: true);
        return options.StopStrings.Any(stop => all.Contains(stop, StringComparison.Ordinal));
    }

    private static HfTokenizer RequireTokenizer(CausalLM lm) => lm.Tokenizer
        ?? throw new InvalidOperationException("This model folder has no tokenizer (tokenizer.json or tokenizer.model), so it can only take token ids.");
}
