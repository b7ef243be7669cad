namespace GmsaSharp.Benchmarks.Tests;

/// <summary>The bundled bio-small model of the checkout the tests run from.</summary>
internal static class BundledModel
{
    /// <summary>models/bio-small, found above the test binaries.</summary>
    public static string Folder { get; } = Find();

    /// <summary>The base decoder's HuggingFace folder.</summary>
    public static string Base => Path.Combine(Folder, "base");

    private static string Find()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "models", "bio-small");
            if (File.Exists(Path.Combine(candidate, "base", "config.json")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException($"models/bio-small/base was not found above '{AppContext.BaseDirectory}'.");
    }
}
