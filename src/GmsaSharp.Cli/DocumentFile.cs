namespace GmsaSharp.Cli;

/// <summary>Reads a document the user named, with errors that say which file and what is wrong.</summary>
internal static class DocumentFile
{
    public static string Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Document '{path}' does not exist.", path);
        }
        string text = File.ReadAllText(path);
        return string.IsNullOrWhiteSpace(text) ? throw new ArgumentException($"Document '{path}' is empty.") : text;
    }
}
