using System.Runtime.CompilerServices;
using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GmsaSharp.Extensions.AI;

/// <summary>
/// An <see cref="IChatClient"/> that answers questions about a document through GMSA compression. The document is
/// the text of the system message(s), or else of the first user message; it is compressed once and cached by
/// content hash (a document that grows is compressed incrementally from the cached one). The last message, a
/// user message, is the question. Earlier question and answer turns are not read: GMSA answers one question
/// about a document at a time. <see cref="GmsaChatOptionKeys"/> names what <c>ChatOptions.AdditionalProperties</c>
/// may carry (the rate, a prepared <see cref="CompressedContext"/>) and the usage counts that show the tokens saved.
/// The client does not own the compressor or its model.
/// </summary>
public sealed class GmsaChatClient : IChatClient
{
    private readonly GmsaCompressor _compressor;
    private readonly GmsaChatClientOptions _options;
    private readonly ILogger _logger;
    private readonly ContextCache _cache;
    private readonly ChatClientMetadata _metadata;

    /// <summary>A chat client over <paramref name="compressor"/> and its base model.</summary>
    public GmsaChatClient(GmsaCompressor compressor, GmsaChatClientOptions? options = null, ILogger<GmsaChatClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(compressor);
        _options = options ?? new GmsaChatClientOptions();
        _options.Validate();
        _compressor = compressor;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _cache = new ContextCache(compressor, _options.CacheCapacity, _logger);
        _metadata = new ChatClientMetadata("gmsasharp", providerUri: null, _options.ModelId);
    }

    /// <summary>The rate used when a request names none.</summary>
    public int DefaultRate => _options.Rate ?? (_compressor.Config.TrainedRates.Count > 0 ? _compressor.Config.TrainedRates.Min() : 4);

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Request request = Read(messages, options);
        using ContextLease? lease = await RentAsync(request, cancellationToken).ConfigureAwait(false);
        CompressedContext context = lease?.Context ?? request.Prepared!;
        GenerationResult answer = await _compressor.AnswerAsync(context, request.Question, request.Generation, cancellationToken).ConfigureAwait(false);
        var message = new ChatMessage(ChatRole.Assistant, answer.Text);
        return new ChatResponse(message)
        {
            ModelId = _options.ModelId,
            FinishReason = answer.StopReason == StopReason.MaxNewTokens ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Usage = Usage(context, answer.PromptTokens, answer.TokenIds.Count),
        };
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Request request = Read(messages, options);
        using ContextLease? lease = await RentAsync(request, cancellationToken).ConfigureAwait(false);
        CompressedContext context = lease?.Context ?? request.Prepared!;
        string responseId = Guid.NewGuid().ToString("N");
        await foreach (string piece in _compressor.StreamAnswerAsync(context, request.Question, request.Generation, cancellationToken).ConfigureAwait(false))
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { ModelId = _options.ModelId, ResponseId = responseId, MessageId = responseId };
        }
        // Streamed text does not say how many tokens made it, so the last update counts what the decoder read.
        int promptTokens = context.SoftTokenCount + _compressor.Model.Tokenizer!.Encode(_compressor.Config.Prompts.QuestionPrompt(request.Question), addBos: false).Count;
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(context, promptTokens, outputTokens: null))])
        {
            ModelId = _options.ModelId,
            ResponseId = responseId,
            MessageId = responseId,
        };
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType == typeof(GmsaCompressor) ? _compressor
            : serviceType == typeof(CausalLM) ? _compressor.Model
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Frees the cached compressed documents (not the compressor or model, which the client does not own).</summary>
    public void Dispose() => _cache.Dispose();

    private async Task<ContextLease?> RentAsync(Request request, CancellationToken cancellationToken) =>
        request.Prepared is null ? await _cache.RentAsync(request.Document!, request.Rate, cancellationToken).ConfigureAwait(false) : null;

    private static UsageDetails Usage(CompressedContext context, int promptTokens, int? outputTokens) => new()
    {
        InputTokenCount = promptTokens,
        OutputTokenCount = outputTokens,
        TotalTokenCount = promptTokens + outputTokens,
        AdditionalCounts = new AdditionalPropertiesDictionary<long>
        {
            [GmsaChatOptionKeys.SourceTokens] = context.SourceTokens,
            [GmsaChatOptionKeys.SoftTokens] = context.SoftTokenCount,
            [GmsaChatOptionKeys.TokensSaved] = context.SourceTokens - context.SoftTokenCount,
        },
    };

    private sealed record Request(string? Document, CompressedContext? Prepared, int Rate, string Question, GenerationOptions Generation);

    // Everything a request asks for, checked before any work: what is not supported is refused by name, never ignored.
    private Request Read(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ChatMessage[] list = [.. messages];
        if (list.Length == 0 || list[^1].Role != ChatRole.User || string.IsNullOrWhiteSpace(list[^1].Text))
        {
            throw new ArgumentException("The last message must be a user message with the question.", nameof(messages));
        }
        string question = list[^1].Text;
        CompressedContext? prepared = Property<CompressedContext>(options, GmsaChatOptionKeys.Context);
        int rate = Property<int?>(options, GmsaChatOptionKeys.Rate) ?? DefaultRate;
        if (rate < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), rate, $"ChatOptions.AdditionalProperties[\"{GmsaChatOptionKeys.Rate}\"] must be at least 1.");
        }
        string? document = prepared is null ? Document(list) : null;
        return new Request(document, prepared, rate, question, Generation(options));
    }

    private static string Document(ChatMessage[] messages)
    {
        string[] system = [.. messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text).Where(text => !string.IsNullOrWhiteSpace(text))];
        if (system.Length > 0)
        {
            return string.Join("\n", system);
        }
        ChatMessage[] user = [.. messages.Where(m => m.Role == ChatRole.User)];
        return user.Length >= 2 && !string.IsNullOrWhiteSpace(user[0].Text)
            ? user[0].Text
            : throw new ArgumentException(
                "No document: put it in a system message or in a first user message before the question, " +
                $"or pass a CompressedContext in ChatOptions.AdditionalProperties[\"{GmsaChatOptionKeys.Context}\"].", nameof(messages));
    }

    // ChatOptions start from the checkpoint's answer options, so an answer ends where the checkpoint's answers end.
    private GenerationOptions Generation(ChatOptions? options)
    {
        GenerationOptions defaults = _compressor.DefaultAnswerOptions;
        if (options is null)
        {
            return defaults;
        }
        Refuse(options.Tools is { Count: > 0 }, nameof(options.Tools), "GMSA answers from a document and calls no tools");
        Refuse(options.ResponseFormat is not null and not ChatResponseFormatText, nameof(options.ResponseFormat), "only text answers are supported");
        Refuse(options.FrequencyPenalty is not null, nameof(options.FrequencyPenalty), "use a repetition penalty through GmsaCompressor.AnswerAsync instead");
        Refuse(options.PresencePenalty is not null, nameof(options.PresencePenalty), "use a repetition penalty through GmsaCompressor.AnswerAsync instead");
        Refuse(options.Instructions is not null, nameof(options.Instructions), "put the document in a system message");
        var generation = defaults with
        {
            MaxNewTokens = options.MaxOutputTokens ?? defaults.MaxNewTokens,
            Temperature = options.Temperature ?? defaults.Temperature,
            TopP = options.TopP ?? defaults.TopP,
            TopK = options.TopK ?? defaults.TopK,
            Seed = options.Seed ?? defaults.Seed,
            StopStrings = options.StopSequences is { Count: > 0 } stops ? [.. stops] : defaults.StopStrings,
        };
        generation.Validate();
        return generation;
    }

    private static void Refuse(bool given, string option, string why)
    {
        if (given)
        {
            throw new NotSupportedException($"ChatOptions.{option} is not supported by the GMSA chat client: {why}.");
        }
    }

    private static T? Property<T>(ChatOptions? options, string key)
    {
        if (options?.AdditionalProperties is not { } properties || !properties.TryGetValue(key, out object? value) || value is null)
        {
            return default;
        }
        return value is T typed
            ? typed
            : throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] must be a {Nullable.GetUnderlyingType(typeof(T))?.Name ?? typeof(T).Name}, got a {value.GetType().Name}.", nameof(options));
    }
}
