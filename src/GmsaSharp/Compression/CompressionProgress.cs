namespace GmsaSharp.Compression;

/// <summary>Progress of one compression: encoder windows done out of the total.</summary>
/// <param name="WindowsDone">Windows encoded so far.</param>
/// <param name="Windows">Windows in the document.</param>
public readonly record struct CompressionProgress(int WindowsDone, int Windows);
