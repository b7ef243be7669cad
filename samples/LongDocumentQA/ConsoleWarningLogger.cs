using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace LongDocumentQA;

/// <summary>Shows the compressor's warnings (such as an untrained rate) in the sample's console, in yellow.</summary>
internal sealed class ConsoleWarningLogger : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {formatter(state, exception)}");
        }
    }
}
