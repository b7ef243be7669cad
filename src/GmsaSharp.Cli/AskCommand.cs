using System.CommandLine;
using System.Diagnostics;
using GmsaSharp.Compression;
using GmsaSharp.Generation;

namespace GmsaSharp.Cli;

/// <summary>`gmsa ask`: answer a question from a compressed document (a file compressed now, or a saved .gmsa context).</summary>
internal static class AskCommand
{
    public static Command Create()
    {
        var models = new GmsaModelOptions();
        var file = new Option<string?>("--file") { Description = "UTF-8 document to compress and ask about." };
        var rate = new Option<int?>("--rate") { Description = "Compression rate when using --file (default 4); a --context keeps the rate it was made with." };
        var context = new Option<string?>("--context") { Description = "A compressed context written by `gmsa compress`." };
        var question = new Option<string>("--question") { Description = "The question.", Required = true };
        var stats = new Option<bool>("--stats") { Description = "Also print token counts and timings." };
        var sampling = new SamplingOptions();
        var command = new Command("ask", "Answer a question from a compressed document.") { file, rate, context, question, stats };
        models.AddTo(command);
        sampling.AddTo(command);
        command.SetAction((result, cancellationToken) => CliErrors.Run(async () =>
        {
            string? documentPath = result.GetValue(file), contextPath = result.GetValue(context);
            if ((documentPath is null) == (contextPath is null))
            {
                throw new ArgumentException("Give exactly one of --file and --context.");
            }
            if (contextPath is not null && result.GetValue(rate) is { } ignored)
            {
                throw new ArgumentException($"--rate {ignored} applies only to --file: the context in '{contextPath}' was compressed at its own rate; compress the document again to change it.");
            }
            string? document = documentPath is null ? null : DocumentFile.Read(documentPath);
            (var lm, var compressor) = models.Load(result);
            using (lm)
            using (compressor)
            {
                // Options not given on the command line are the checkpoint's: its answers end where it was trained to end them.
                GenerationOptions options = sampling.Read(result, compressor.DefaultAnswerOptions);
                var clock = Stopwatch.StartNew();
                using CompressedContext compressed = document is null
                    ? CompressedContext.Load(contextPath!)
                    : CompressionProgressBar.Run(progress => compressor.Compress(document, result.GetValue(rate) ?? 4, progress, cancellationToken));
                long compressMs = clock.ElapsedMilliseconds;
                clock.Restart();
                GenerationResult answer = await compressor.AnswerAsync(compressed, result.GetValue(question)!, options, cancellationToken);
                Console.WriteLine(answer.Text);
                if (result.GetValue(stats))
                {
                    Console.WriteLine($"context tokens {compressed.SourceTokens}, soft tokens {compressed.SoftTokenCount} (rate {compressed.Rate}), " +
                        $"decoder prompt {answer.PromptTokens} tokens, answer {answer.TokenIds.Count} tokens ({answer.StopReason}); " +
                        $"{(document is null ? "load" : "compress")} {compressMs} ms, answer {clock.ElapsedMilliseconds} ms");
                }
            }
            return 0;
        }));
        return command;
    }
}
