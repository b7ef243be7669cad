using GmsaSharp.Compression;
using GmsaSharp.Extensions.AI;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Extensions;

/// <summary>The IChatClient, driven as apps drive it: through ChatClientBuilder middleware and DI.</summary>
public sealed class GmsaChatClientTests : IDisposable
{
    private const string Document = "the cat sat on the mat. the dog ate the cat food in 2024 and 2024 again.";
    private const string More = " then the dog sat on the mat in 2025 and the cat ate the dog food.";
    private static readonly ComputeOptions Fp32 = new() { Device = "cpu", DType = ScalarType.Float32 };

    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-chat-").FullName;
    private readonly string _gmsa;
    private readonly CausalLM _lm;
    private readonly GmsaCompressor _compressor;
    private readonly RecordingLoggerFactory _logs = new();

    public GmsaChatClientTests()
    {
        TinyTextModel.Write(_directory);
        _gmsa = Path.Combine(_directory, "gmsa");
        _lm = CausalLM.FromPretrained(_directory, Fp32);
        _compressor = GmsaCompressor.Create(_lm, new GmsaOptions
        {
            EncoderLayers = 1, EncoderLora = new LoraSettings(4, 8, 0, LoraSettings.AllProjections), WindowSize = 16, AnswerMaxNewTokens = 6,
        });
        _compressor.RecordTrainedRates([4, 8]);
        _compressor.SavePretrained(_gmsa);
    }

    public void Dispose()
    {
        _compressor.Dispose();
        _lm.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private IChatClient Client(GmsaChatClientOptions? options = null) =>
        new GmsaChatClient(_compressor, options, _logs.CreateLogger<GmsaChatClient>()).AsBuilder().UseLogging(_logs).Build();

    private static ChatMessage[] Conversation(string document, string question) =>
        [new(ChatRole.System, document), new(ChatRole.User, question)];

    private async Task<GenerationResult> Direct(string document, string question, int rate = 4, GenerationOptions? options = null)
    {
        using CompressedContext context = _compressor.Compress(document, rate);
        return await _compressor.AnswerAsync(context, question, options);
    }

    private int Compressions => _logs.Logger.Entries.Count(e => e.Message.StartsWith("Compressed a document", StringComparison.Ordinal));

    [Fact]
    public async Task AnswersThroughLoggingMiddlewareLikeTheCompressorWithUsageThatShowsTheTokensSaved()
    {
        using IChatClient client = Client();
        GenerationResult expected = await Direct(Document, "the dog");

        ChatResponse response = await client.GetResponseAsync(Conversation(Document, "the dog"));

        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(expected.PromptTokens, response.Usage!.InputTokenCount);
        Assert.Equal(expected.TokenIds.Count, response.Usage.OutputTokenCount);
        long source = _lm.Tokenizer!.Encode(Document, addBos: false).Count;
        long soft = CompressedContext.SoftTokenCountFor((int)source, 16, 4);
        Assert.Equal(source, response.Usage.AdditionalCounts![GmsaChatOptionKeys.SourceTokens]);
        Assert.Equal(soft, response.Usage.AdditionalCounts[GmsaChatOptionKeys.SoftTokens]);
        Assert.Equal(source - soft, response.Usage.AdditionalCounts[GmsaChatOptionKeys.TokensSaved]);
        Assert.Contains(_logs.Logger.Entries, e => e.Message.Contains("GetResponseAsync", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheDocumentIsCompressedOnceAndReusedAcrossRequestsAndMessageLayouts()
    {
        using IChatClient client = Client();

        string first = (await client.GetResponseAsync(Conversation(Document, "the dog"))).Text;
        string again = (await client.GetResponseAsync(Conversation(Document, "the dog"))).Text;
        string firstUser = (await client.GetResponseAsync([new(ChatRole.User, Document), new(ChatRole.Assistant, "ok"), new(ChatRole.User, "the cat")])).Text;

        Assert.Equal(first, again);
        Assert.Equal((await Direct(Document, "the cat")).Text, firstUser);
        Assert.Equal(1, Compressions);
    }

    [Fact]
    public async Task AGrowingDocumentIsExtendedIncrementallyAndAnswersLikeTheWholeDocument()
    {
        using IChatClient client = Client();
        await client.GetResponseAsync(Conversation(Document, "the dog"));

        ChatResponse grown = await client.GetResponseAsync(Conversation(Document + More, "the dog"));

        Assert.Equal((await Direct(Document + More, "the dog")).Text, grown.Text);
        Assert.Equal(1, Compressions);
        Assert.Contains(_logs.Logger.Entries, e => e.Message.StartsWith("Extended a compressed document", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADocumentThatGrowsOnlyByWhitespaceIsCompressedAnew()
    {
        using IChatClient client = Client();
        await client.GetResponseAsync(Conversation(Document, "the dog"));

        ChatResponse grown = await client.GetResponseAsync(Conversation(Document + "\n", "the dog"));

        Assert.Equal((await Direct(Document + "\n", "the dog")).Text, grown.Text);
        Assert.Equal(2, Compressions);
    }

    [Fact]
    public async Task StreamingGivesTheSameTextAndEndsWithUsage()
    {
        using IChatClient client = Client();
        GenerationResult expected = await Direct(Document, "the dog");

        List<ChatResponseUpdate> updates = await client.GetStreamingResponseAsync(Conversation(Document, "the dog")).ToListAsync();

        Assert.Equal(expected.Text, string.Concat(updates.Select(u => u.Text)));
        UsageContent usage = Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
        Assert.Equal(expected.PromptTokens, usage.Details.InputTokenCount);
        Assert.True(usage.Details.AdditionalCounts![GmsaChatOptionKeys.TokensSaved] > 0);
    }

    [Fact]
    public async Task ChatOptionsMapToGenerationOptionsAndRateAndContextTravelInAdditionalProperties()
    {
        using IChatClient client = Client();
        var generation = _compressor.DefaultAnswerOptions with { MaxNewTokens = 2, StopStrings = ["never-seen"] };
        GenerationResult expected = await Direct(Document, "the dog", rate: 8, generation);

        ChatResponse response = await client.GetResponseAsync(Conversation(Document, "the dog"), new ChatOptions
        {
            MaxOutputTokens = 2,
            StopSequences = ["never-seen"],
            AdditionalProperties = new() { [GmsaChatOptionKeys.Rate] = 8 },
        });
        using CompressedContext prepared = _compressor.Compress(Document, 8);
        ChatResponse fromPrepared = await client.GetResponseAsync([new(ChatRole.User, "the dog")], new ChatOptions
        {
            MaxOutputTokens = 2,
            StopSequences = ["never-seen"],
            AdditionalProperties = new() { [GmsaChatOptionKeys.Context] = prepared },
        });

        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(prepared.SoftTokenCount, response.Usage!.AdditionalCounts![GmsaChatOptionKeys.SoftTokens]);
        Assert.Equal(expected.Text, fromPrepared.Text);
    }

    [Fact]
    public async Task ConcurrentRequestsOnOneDocumentUnderASingleThreadedContextAnswerLikeSequentialOnes()
    {
        using IChatClient client = Client();
        string[] questions = ["the dog", "the cat", "what sat"];
        var sequential = new List<string>();
        foreach (string question in questions)
        {
            sequential.Add((await Direct(Document, question)).Text);
        }

        string[] concurrent = SingleThreadSynchronizationContext.Run(async () =>
            (await Task.WhenAll(questions.Select(q => client.GetResponseAsync(Conversation(Document, q))))).Select(r => r.Text).ToArray());

        Assert.Equal(sequential, concurrent);
        Assert.Equal(1, Compressions);
    }

    [Fact]
    public async Task EvictedDocumentsAreFreedAndCompressedAgainWhenAskedAgain()
    {
        using IChatClient client = Client(new GmsaChatClientOptions { CacheCapacity = 1 });

        await client.GetResponseAsync(Conversation(Document, "the dog"));
        await client.GetResponseAsync(Conversation("a different document about the mat.", "the dog"));
        string again = (await client.GetResponseAsync(Conversation(Document, "the dog"))).Text;

        Assert.Equal((await Direct(Document, "the dog")).Text, again);
        Assert.Equal(3, Compressions);
    }

    public static TheoryData<ChatMessage[], ChatOptions?, Type, string> BadRequests => new()
    {
        { [], null, typeof(ArgumentException), "last message must be a user message" },
        { [new(ChatRole.System, Document), new(ChatRole.Assistant, "hi")], null, typeof(ArgumentException), "last message must be a user message" },
        { [new(ChatRole.User, "the dog")], null, typeof(ArgumentException), "No document" },
        { Conversation(Document, "q"), new ChatOptions { AdditionalProperties = new() { [GmsaChatOptionKeys.Rate] = "8" } }, typeof(ArgumentException), "gmsa_rate\"] must be a Int32" },
        { Conversation(Document, "q"), new ChatOptions { AdditionalProperties = new() { [GmsaChatOptionKeys.Rate] = 0 } }, typeof(ArgumentOutOfRangeException), "must be at least 1" },
        { Conversation(Document, "q"), new ChatOptions { AdditionalProperties = new() { [GmsaChatOptionKeys.Context] = "file.gmsa" } }, typeof(ArgumentException), "gmsa_context\"] must be a CompressedContext" },
        { Conversation(Document, "q"), new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] }, typeof(NotSupportedException), "ChatOptions.Tools" },
        { Conversation(Document, "q"), new ChatOptions { FrequencyPenalty = 0.5f }, typeof(NotSupportedException), "ChatOptions.FrequencyPenalty" },
        { Conversation(Document, "q"), new ChatOptions { ResponseFormat = ChatResponseFormat.Json }, typeof(NotSupportedException), "ChatOptions.ResponseFormat" },
        { Conversation(Document, "q"), new ChatOptions { Temperature = -1 }, typeof(ArgumentOutOfRangeException), "Temperature" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequestsAreRefusedByName(ChatMessage[] messages, ChatOptions? options, Type error, string message)
    {
        using IChatClient client = Client();

        Exception thrown = await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync(messages, options));

        Assert.IsType(error, thrown);
        Assert.Contains(message, thrown.Message);
    }

    [Fact]
    public void BadClientOptionsAreRefusedByName()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new GmsaChatClient(_compressor, new GmsaChatClientOptions { CacheCapacity = 0 }));

        Assert.Contains("CacheCapacity", error.Message);
    }

    [Fact]
    public async Task AddGmsaChatClientRegistersAClientThatLoadsTheCheckpointAndTakesMiddleware()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(_logs);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddGmsaChatClient(_directory, _gmsa, options => options.Rate = 8).UseLogging();
        GenerationResult expected;
        using (CausalLM lm = CausalLM.FromPretrained(_directory))
        using (GmsaCompressor compressor = GmsaCompressor.FromPretrained(_gmsa, lm))
        using (CompressedContext context = compressor.Compress(Document, 8))
        {
            expected = await compressor.AnswerAsync(context, "the dog");
        }

        await using (ServiceProvider provider = services.BuildServiceProvider())
        {
            IChatClient client = provider.GetRequiredService<IChatClient>();
            ChatResponse response = await client.GetResponseAsync(Conversation(Document, "the dog"));

            Assert.Equal(expected.Text, response.Text);
            Assert.Equal("gmsa", client.GetService<ChatClientMetadata>()!.DefaultModelId);
            Assert.NotNull(client.GetService<GmsaCompressor>());
        }
        Assert.Contains(_logs.Logger.Entries, e => e.Message.StartsWith("Compressed a document", StringComparison.Ordinal));
    }
}
