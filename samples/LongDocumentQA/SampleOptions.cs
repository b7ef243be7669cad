namespace LongDocumentQA;

/// <summary>The sample's command line: every option has a default from the bundled model folder.</summary>
internal sealed record SampleOptions(string Model, string Gmsa, string Document, IReadOnlyList<string> Questions, int Rate, bool FullPrompt, bool Interactive)
{
    public const string Usage =
        "usage: LongDocumentQA [--document FILE] [--question Q]... [--rate R] [--model DIR] [--gmsa DIR] [--full-prompt] [--no-interactive]";

    /// <summary>The bundled model folder, found by walking up from the working directory and from the app.</summary>
    public static string? FindBundled() =>
        new[] { Environment.CurrentDirectory, AppContext.BaseDirectory }
            .SelectMany(Ancestors)
            .Select(directory => Path.Combine(directory, "models", "bio-small"))
            .FirstOrDefault(candidate => File.Exists(Path.Combine(candidate, "gmsa", "gmsa_config.json")));

    public static SampleOptions Parse(string[] args)
    {
        string? bundled = FindBundled();
        string? model = null, gmsa = null, document = null;
        var questions = new List<string>();
        int rate = 4;
        bool fullPrompt = false, interactive = true;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value. {Usage}");
            switch (args[i])
            {
                case "--document": document = Value(); break;
                case "--question": questions.Add(Value()); break;
                case "--model": model = Value(); break;
                case "--gmsa": gmsa = Value(); break;
                case "--full-prompt": fullPrompt = true; break;
                case "--no-interactive": interactive = false; break;
                case "--rate":
                    string text = Value();
                    rate = int.TryParse(text, out int parsed) && parsed >= 1 ? parsed : throw new ArgumentException($"--rate must be an integer >= 1, got '{text}'.");
                    break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. {Usage}");
            }
        }
        if (bundled is null && (model is null || gmsa is null))
        {
            throw new BundledModelMissingException();
        }
        if (document is null && bundled is null)
        {
            throw new ArgumentException($"Give --document: there is no bundled sample document. {Usage}");
        }
        if (questions.Count == 0 && document is null)
        {
            questions.AddRange(File.ReadAllLines(Path.Combine(bundled!, "sample-questions.txt")).Where(line => line.Length > 0));
        }
        if (questions.Count == 0 && !interactive)
        {
            throw new ArgumentException($"With --no-interactive, give at least one --question. {Usage}");
        }
        return new SampleOptions(
            model ?? Path.Combine(bundled!, "base"),
            gmsa ?? Path.Combine(bundled!, "gmsa"),
            document ?? Path.Combine(bundled!, "sample-document.txt"),
            questions, rate, fullPrompt, interactive);
    }

    private static IEnumerable<string> Ancestors(string directory)
    {
        for (DirectoryInfo? current = new(directory); current is not null; current = current.Parent)
        {
            yield return current.FullName;
        }
    }
}

/// <summary>The bundled model is not in this checkout.</summary>
internal sealed class BundledModelMissingException() : Exception("The bundled default model (models/bio-small/base and models/bio-small/gmsa) is not in this checkout.");
