using System.Diagnostics;
using System.Globalization;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;

namespace GmsaSharp.Benchmarks;

/// <summary>
/// How long a process's first answers take, one after another in one process: .NET compiles each method quickly
/// first and optimises the ones that keep running, so the first answers run slower code than later ones. Times
/// <c>--answers</c> greedy generations of <c>--tokens</c> tokens after a random prompt of <c>--prompt</c> tokens, on
/// a model folder, and prints each. Usage: <c>first-answers --model FOLDER [--threads 1] [--prompt 16] [--tokens 32]
/// [--answers 20]</c>. Run it with <c>DOTNET_TieredCompilation=0</c> for the fully optimised floor.
/// </summary>
public static class FirstAnswers
{
    /// <summary>Runs the measurement named by <paramref name="args"/> and writes one line per answer to <paramref name="output"/>.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }
        string folder = values.TryGetValue("model", out string? given) ? given : throw new ArgumentException("--model FOLDER is required.");
        int threads = Read(values, "threads", 1), promptTokens = Read(values, "prompt", 16), tokens = Read(values, "tokens", 32), answers = Read(values, "answers", 20);

        using CausalLM lm = CausalLM.FromPretrained(folder, new ComputeOptions { Threads = threads });
        var random = new Random(1);
        int[] prompt = Enumerable.Range(0, promptTokens).Select(_ => random.Next(lm.Config.VocabSize)).ToArray();
        var options = new GenerationOptions { MaxNewTokens = tokens, StopAtEos = false };
        output.WriteLine($"{folder}: {lm.Environment.Describe()}; {promptTokens}-token prompt, {tokens} generated tokens per answer");
        for (int answer = 1; answer <= answers; answer++)
        {
            var clock = Stopwatch.StartNew();
            foreach (int _ in TokenGenerator.Generate(lm, prompt, options))
            {
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"answer {answer}: {clock.Elapsed.TotalMilliseconds:F1} ms"));
        }
        return 0;
    }

    private static int Read(Dictionary<string, string> values, string name, int fallback) =>
        values.TryGetValue(name, out string? text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
