using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Compression;

/// <summary>Answering as UI and server apps call it: concurrent questions, single-threaded synchronization
/// contexts, callers that block, contexts disposed under a question.</summary>
public sealed class AsyncAnsweringTests : IDisposable
{
    private const string Document = "the cat sat on the mat. the dog ate the cat food in 2024 and 2024 again.";
    private static readonly string[] Questions = ["the dog", "the cat", "what sat", "in 2024"];
    private static readonly GenerationOptions Options = new() { MaxNewTokens = 8, StopAtEos = false };

    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-async-").FullName;
    private readonly CausalLM _lm;
    private readonly GmsaCompressor _compressor;

    public AsyncAnsweringTests()
    {
        TinyTextModel.Write(_directory);
        _lm = CausalLM.FromPretrained(_directory, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
        _compressor = GmsaCompressor.Create(_lm, new GmsaOptions { EncoderLayers = 1, EncoderLora = new LoraSettings(4, 8, 0.0, LoraSettings.AllProjections), WindowSize = 16, Seed = 3 });
    }

    public void Dispose()
    {
        _compressor.Dispose();
        _lm.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<string[]> SequentialAnswers()
    {
        using CompressedContext context = _compressor.Compress(Document, 4);
        var answers = new List<string>();
        foreach (string question in Questions)
        {
            answers.Add((await _compressor.AnswerAsync(context, question, Options)).Text);
        }
        return [.. answers];
    }

    [Fact]
    public async Task ConcurrentQuestionsOnOneContextUnderASingleThreadedContextFinishWithTheSequentialAnswers()
    {
        string[] sequential = await SequentialAnswers();
        using CompressedContext context = _compressor.Compress(Document, 4);

        string[] concurrent = SingleThreadSynchronizationContext.Run(() =>
            Task.WhenAll(Questions.Select(async question => (await _compressor.AnswerAsync(context, question, Options)).Text)));

        Assert.Equal(sequential, concurrent);
    }

    [Fact]
    public async Task ConcurrentStreamsAndAnswersOnOneContextUnderASingleThreadedContextMatchTheSequentialAnswers()
    {
        string[] sequential = await SequentialAnswers();
        using CompressedContext context = _compressor.Compress(Document, 4);

        async Task<string> Streamed(string question)
        {
            var text = new System.Text.StringBuilder();
            await foreach (string piece in _compressor.StreamAnswerAsync(context, question, Options))
            {
                text.Append(piece);
            }
            return text.ToString();
        }
        async Task<string> Answered(string question) => (await _compressor.AnswerAsync(context, question, Options)).Text;
        string[] mixed = SingleThreadSynchronizationContext.Run(() => Task.WhenAll(
            Questions.Select((question, i) => i % 2 == 0 ? Streamed(question) : Answered(question))));

        Assert.Equal(sequential, mixed);
    }

    [Fact]
    public async Task ACallerThatBlocksOnTheAnswerDoesNotDeadlockAndNothingIsPostedBackToItsContext()
    {
        string[] sequential = await SequentialAnswers();
        using CompressedContext context = _compressor.Compress(Document, 4);

        (GenerationResult answer, int posted) = SingleThreadSynchronizationContext.RunBlocking(() => _compressor.AnswerAsync(context, Questions[0], Options));

        Assert.Equal(sequential[0], answer.Text);
        Assert.Equal(0, posted);
    }

    [Fact]
    public async Task PlainGenerationNeverPostsBackToTheCallersContextEither()
    {
        GenerationResult expected = await TextGeneration.GenerateAsync(_lm, "the cat", Options);

        (GenerationResult result, int posted) = SingleThreadSynchronizationContext.RunBlocking(() => TextGeneration.GenerateAsync(_lm, "the cat", Options));

        Assert.Equal(expected.TokenIds, result.TokenIds);
        Assert.Equal(0, posted);
    }

    [Fact]
    public async Task AnswerAsyncReturnsItsTaskBeforeThePrefillAndWaitsForABusyContextWithoutBlocking()
    {
        string[] sequential = await SequentialAnswers();
        using CompressedContext context = _compressor.Compress(Document, 4);
        await context.EnterAsync(CancellationToken.None);
        Task<GenerationResult> answer;
        try
        {
            answer = _compressor.AnswerAsync(context, Questions[0], Options);

            Assert.False(answer.IsCompleted);
            Assert.Null(context.DecoderCache);
        }
        finally
        {
            context.Exit();
        }
        Assert.Equal(sequential[0], (await answer).Text);
    }

    [Fact]
    public async Task CompressAsyncMatchesCompressAndReportsProgress()
    {
        string document = string.Concat(Enumerable.Repeat(Document + " ", 3));
        using CompressedContext expected = _compressor.Compress(document, 4);
        var reports = new List<CompressionProgress>();

        using CompressedContext context = await _compressor.CompressAsync(document, 4, new SynchronousProgress<CompressionProgress>(reports.Add));

        Assert.True(context.SoftTokens.allclose(expected.SoftTokens, rtol: 0, atol: 0));
        Assert.Equal(new CompressionProgress(context.Windows, context.Windows), reports[^1]);
    }

    [Fact]
    public async Task CompressAsyncHonoursCancellation()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _compressor.CompressAsync(Document, 4, cancellationToken: cancelled.Token));
    }

    [Fact]
    public async Task ADisposedContextThrowsObjectDisposedException()
    {
        CompressedContext context = _compressor.Compress(Document, 4);
        await _compressor.AnswerAsync(context, Questions[0], Options);
        context.Dispose();
        context.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => _compressor.AnswerAsync(context, Questions[0], Options));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
        {
            await foreach (string _ in _compressor.StreamAnswerAsync(context, Questions[0], Options))
            {
            }
        });
        Assert.Throws<ObjectDisposedException>(() => _compressor.AnswerTokens(context, [1, 2], Options).ToList());
        Assert.Throws<ObjectDisposedException>(() => context.SoftTokens);
        Assert.Throws<ObjectDisposedException>(() => context.Save(Path.Combine(_directory, "disposed.gmsa")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _compressor.ExtendAsync(context, " more text"));
    }

    [Fact]
    public async Task DisposingAContextDuringAnAnswerLetsThatAnswerFinishAndRefusesLaterOnes()
    {
        CompressedContext context = _compressor.Compress(Document, 4);
        int[] prompt = [.. _lm.Tokenizer!.Encode(Questions[0], addBos: false)];
        int[] expected;
        using (CompressedContext reference = _compressor.Compress(Document, 4))
        {
            expected = [.. _compressor.AnswerTokens(reference, prompt, Options)];
        }

        var answer = new List<int>();
        using (IEnumerator<int> tokens = _compressor.AnswerTokens(context, prompt, Options).GetEnumerator())
        {
            Assert.True(tokens.MoveNext());
            answer.Add(tokens.Current);
            context.Dispose();
            while (tokens.MoveNext())
            {
                answer.Add(tokens.Current);
            }
        }

        Assert.Equal(expected, answer);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _compressor.AnswerAsync(context, Questions[1], Options));
    }

    [Fact]
    public async Task AQuestionWaitingForAContextThatIsDisposedMeanwhileThrowsObjectDisposedException()
    {
        CompressedContext context = _compressor.Compress(Document, 4);
        await context.EnterAsync(CancellationToken.None);
        Task<GenerationResult> waiting = _compressor.AnswerAsync(context, Questions[0], Options);

        context.Dispose();
        context.Exit();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);
    }

    [Fact]
    public async Task AStreamStoppedEarlyFreesTheContextForTheNextQuestion()
    {
        string[] sequential = await SequentialAnswers();
        using CompressedContext context = _compressor.Compress(Document, 4);

        await foreach (string _ in _compressor.StreamAnswerAsync(context, Questions[0], Options))
        {
            break;
        }

        Assert.Equal(sequential[1], (await _compressor.AnswerAsync(context, Questions[1], Options)).Text);
    }

    /// <summary>Reports on the reporting thread, so the test sees every report before the call returns.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
