using System.Text;

namespace GmsaSharp.Cli;

/// <summary>Reads a document the user named, with errors that say which file and what is wrong.</summary>
internal static class DocumentFile
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The file's text. Bytes that are not UTF-8 become U+FFFD, with a warning on stderr saying how many:
    /// the model would otherwise answer from a silently garbled document.</summary>
    public static string Read(string path)
    {
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"Document '{path}' is a folder, expected a text file.");
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Document '{path}' does not exist.", path);
        }
        string text;
        try
        {
            text = File.ReadAllText(path, StrictUtf8);
        }
        catch (DecoderFallbackException)
        {
            text = File.ReadAllText(path);
            int replaced = text.Count(c => c == '\uFFFD');
            Console.Error.WriteLine($"warning: Document '{path}' is not valid UTF-8: {replaced} character(s) could not be decoded and were replaced by U+FFFD; convert it to UTF-8 for faithful answers.");
        }
        return string.IsNullOrWhiteSpace(text) ? throw new ArgumentException($"Document '{path}' is empty.") : text;
    }
}
