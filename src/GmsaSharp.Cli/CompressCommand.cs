using System.CommandLine;
using System.Diagnostics;
using GmsaSharp.Compression;

namespace GmsaSharp.Cli;

/// <summary>`gmsa compress`: a document into a reusable .gmsa file of soft tokens.</summary>
internal static class CompressCommand
{
    public static Command Create()
    {
        var models = new GmsaModelOptions();
        var file = new Option<string>("--file") { Description = "UTF-8 text file to compress.", Required = true };
        var rate = new Option<int>("--rate") { Description = "Compression rate: encoder states per soft token.", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the compressed context (.gmsa).", Required = true };
        var window = new Option<int?>("--window") { Description = "Encoder window in tokens (default: the checkpoint's)." };
        var command = new Command("compress", "Compress a document into soft tokens saved to a file.") { file, rate, output, window };
        models.AddTo(command);
        command.SetAction((result, cancellationToken) => CliErrors.Run(() =>
        {
            string document = DocumentFile.Read(result.GetValue(file)!);
            (var lm, var compressor) = models.Load(result);
            using (lm)
            using (compressor)
            {
                var clock = Stopwatch.StartNew();
                using CompressedContext context = CompressionProgressBar.Run(progress =>
                    compressor.Compress(document, result.GetValue(rate), progress, cancellationToken, result.GetValue(window)));
                context.Save(result.GetValue(output)!);
                Console.WriteLine($"{context.SourceTokens} tokens -> {context.SoftTokenCount} soft tokens (rate {context.Rate}, {context.Windows} window(s)) in {clock.ElapsedMilliseconds} ms; wrote {result.GetValue(output)}");
            }
            return Task.FromResult(0);
        }));
        return command;
    }
}
