namespace GmsaSharp.Tests.Support;

/// <summary>Tests that redirect the process-wide console must not run in parallel.</summary>
[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;
