using System.Diagnostics;
using GmsaSharp.Compression;
using GmsaSharp.Evaluation;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using LongDocumentQA;
using Spectre.Console;

// Question answering over a long document through GMSA compression: the document is compressed once into
// soft tokens, then every question is answered from them, reusing their KV cache.
SampleOptions options;
try
{
    options = SampleOptions.Parse(args);
}
catch (BundledModelMissingException e)
{
    Console.WriteLine(e.Message);
    Console.WriteLine("Build it with models/bio-small/build.sh (see models/bio-small/MODEL_CARD.md), or pass --model and --gmsa.");
    return 0;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

try
{
    if (!File.Exists(options.Document))
    {
        throw new FileNotFoundException($"Document '{options.Document}' does not exist.");
    }
    string document = File.ReadAllText(options.Document);
    if (string.IsNullOrWhiteSpace(document))
    {
        throw new ArgumentException($"Document '{options.Document}' is empty.");
    }

    using CausalLM lm = CausalLM.FromPretrained(options.Model);
    using GmsaCompressor compressor = GmsaCompressor.FromPretrained(options.Gmsa, lm);
    compressor.Logger = new ConsoleWarningLogger();
    AnsiConsole.MarkupLineInterpolated($"[grey]{lm.Environment.Describe()}[/]");

    var clock = Stopwatch.StartNew();
    CompressedContext context = await AnsiConsole.Progress().StartAsync(async progress =>
    {
        ProgressTask task = progress.AddTask($"Compressing at {options.Rate}x");
        CompressedContext compressed = await compressor.CompressAsync(document, options.Rate, new Progress<CompressionProgress>(p =>
        {
            task.MaxValue = p.Windows;
            task.Value = p.WindowsDone;
        }));
        task.Value = task.MaxValue;
        return compressed;
    });
    double compressMs = clock.Elapsed.TotalMilliseconds;
    using (context)
    {
        AnsiConsole.MarkupLineInterpolated($"Document: [bold]{context.SourceTokens}[/] tokens -> [bold]{context.SoftTokenCount}[/] soft tokens ({context.Windows} window(s)) in {compressMs:F0} ms");
        // The checkpoint's own answer settings (stop strings, answer length), as AnswerAsync uses by default;
        // the full-prompt baseline gets the same ones.
        GenerationOptions generation = compressor.DefaultAnswerOptions;
        var baseline = new FullPromptBaseline(lm, compressor.Config.Prompts);
        IReadOnlyList<int> contextTokens = lm.Tokenizer!.Encode(document, addBos: false);

        async Task Ask(string question, bool first)
        {
            clock.Restart();
            GenerationResult answer = await compressor.AnswerAsync(context, question, generation);
            double answerMs = clock.Elapsed.TotalMilliseconds;
            AnsiConsole.MarkupLineInterpolated($"[bold]Q:[/] {question}");
            AnsiConsole.MarkupLineInterpolated($"[bold green]A:[/] {answer.Text}");
            // The first question also pays for the compression; later ones reuse the soft tokens' KV cache.
            double gmsaMs = answerMs + (first ? compressMs : 0);
            if (options.FullPrompt)
            {
                clock.Restart();
                GenerationResult full = await baseline.AnswerAsync(contextTokens, question, generation);
                double fullMs = clock.Elapsed.TotalMilliseconds;
                AnsiConsole.MarkupLineInterpolated($"[bold blue]Full prompt:[/] {full.Text.Trim()}");
                AnsiConsole.MarkupLineInterpolated($"[grey]GMSA {gmsaMs:F0} ms ({(first ? "compress + " : "")}answer) vs full prompt {fullMs:F0} ms ({full.PromptTokens} tokens): speed-up {fullMs / gmsaMs:F2}x[/]");
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]answer {answerMs:F0} ms, decoder read {answer.PromptTokens} positions instead of {context.SourceTokens + answer.PromptTokens - context.SoftTokenCount} (use --full-prompt to time the uncompressed answer)[/]");
            }
        }

        bool first = true;
        foreach (string question in options.Questions)
        {
            await Ask(question, first);
            first = false;
        }
        if (options.Interactive && !Console.IsInputRedirected)
        {
            AnsiConsole.MarkupLine("Ask more questions about the document (empty line to quit).");
            while (AnsiConsole.Ask<string>("[bold]>[/]", "") is { Length: > 0 } question)
            {
                await Ask(question, first);
                first = false;
            }
        }
    }
    return 0;
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or InvalidOperationException or NotSupportedException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
