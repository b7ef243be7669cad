using Microsoft.Extensions.Logging;

namespace GmsaSharp.Cli;

/// <summary>The command's logger: warnings and errors go to standard error as "warning: ..." lines, so they
/// never mix with an answer on standard output; nothing else is printed.</summary>
internal sealed class StandardErrorLogger : ILogger
{
    public static readonly StandardErrorLogger Instance = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Console.Error.WriteLine($"{(logLevel == LogLevel.Warning ? "warning" : "error")}: {formatter(state, exception)}");
        }
    }
}
