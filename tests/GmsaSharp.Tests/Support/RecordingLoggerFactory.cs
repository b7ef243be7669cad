using Microsoft.Extensions.Logging;

namespace GmsaSharp.Tests.Support;

/// <summary>Hands every category the same <see cref="RecordingLogger"/>, for asserting on what middleware and clients log.</summary>
public sealed class RecordingLoggerFactory : ILoggerFactory
{
    public RecordingLogger Logger { get; } = new();

    public ILogger CreateLogger(string categoryName) => Logger;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }
}
