using GmsaSharp.Extensions.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

// Chat about a document through Microsoft.Extensions.AI: the app sees an ordinary IChatClient; GMSA compresses
// the document (the system message) once, and every question reads its soft tokens.
// usage: ChatWithDocument [--document FILE] [--model DIR --gmsa DIR] [QUESTION...]   (no question: read them from stdin)
string? bundled = new[] { Environment.CurrentDirectory, AppContext.BaseDirectory }
    .SelectMany(Ancestors)
    .Select(directory => Path.Combine(directory, "models", "bio-small"))
    .FirstOrDefault(candidate => File.Exists(Path.Combine(candidate, "gmsa", "gmsa_config.json")));
string? model = Option("--model") ?? (bundled is null ? null : Path.Combine(bundled, "base"));
string? gmsa = Option("--gmsa") ?? (bundled is null ? null : Path.Combine(bundled, "gmsa"));
string? documentPath = Option("--document") ?? (bundled is null ? null : Path.Combine(bundled, "sample-document.txt"));
if (model is null || gmsa is null || documentPath is null)
{
    Console.Error.WriteLine("error: the bundled model (models/bio-small) is not in this checkout; pass --model, --gmsa and --document.");
    return 2;
}
if (!File.Exists(documentPath))
{
    Console.Error.WriteLine($"error: --document '{documentPath}' does not exist.");
    return 2;
}
string document = File.ReadAllText(documentPath);
IEnumerable<string> questions = args.Length > 0 ? args : ReadQuestions();

var services = new ServiceCollection();
services.AddGmsaChatClient(model, gmsa, options => options.Rate = 4);
await using ServiceProvider provider = services.BuildServiceProvider();
IChatClient chat = provider.GetRequiredService<IChatClient>();

foreach (string question in questions)
{
    Console.Write($"Q: {question}\nA: ");
    UsageDetails? usage = null;
    await foreach (ChatResponseUpdate update in chat.GetStreamingResponseAsync([new(ChatRole.System, document), new(ChatRole.User, question)]))
    {
        Console.Write(update.Text);
        usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
    }
    Console.WriteLine();
    if (usage?.AdditionalCounts is { } counts)
    {
        Console.WriteLine($"   (the decoder read {usage.InputTokenCount} positions: {counts[GmsaChatOptionKeys.SoftTokens]} soft tokens for the " +
            $"{counts[GmsaChatOptionKeys.SourceTokens]}-token document, {counts[GmsaChatOptionKeys.TokensSaved]} tokens saved)");
    }
}
return 0;

string? Option(string name)
{
    int at = Array.IndexOf(args, name);
    if (at < 0)
    {
        return null;
    }
    if (at + 1 == args.Length)
    {
        Console.Error.WriteLine($"error: {name} needs a value.");
        Environment.Exit(2);
    }
    string value = args[at + 1];
    args = [.. args.Take(at), .. args.Skip(at + 2)];
    return value;
}

static IEnumerable<string> ReadQuestions()
{
    if (!Console.IsInputRedirected)
    {
        Console.WriteLine("Ask about the document (empty line to quit).");
    }
    while (Console.ReadLine() is { Length: > 0 } line)
    {
        yield return line;
    }
}

static IEnumerable<string> Ancestors(string directory)
{
    for (DirectoryInfo? current = new(directory); current is not null; current = current.Parent)
    {
        yield return current.FullName;
    }
}
