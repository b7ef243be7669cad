using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace GmsaSharp.Tests.Support;

/// <summary>
/// Runs this assembly's xUnit tests in-process, with nothing but the .NET runtime: the GPU machine has no SDK,
/// so no `dotnet test`/vstest there (tools/gpu). Tests run one at a time (they share one device) and the last
/// line is "N passed, N failed, N skipped".
/// </summary>
internal static class InProcessTestRunner
{
    /// <summary>Runs the tests <paramref name="filters"/> select (all when none); 0 when some ran and none failed.</summary>
    public static int Run(IReadOnlyList<string> filters, TextWriter output)
    {
        Assembly assembly = typeof(InProcessTestRunner).Assembly;
        var options = new RunnerOptions();
        options.SetValue("xunit.discovery.PreEnumerateTheories", true);
        options.SetValue("xunit.execution.DisableParallelization", true);

        using var framework = new XunitTestFramework(new NullMessageSink());
        List<ITestCase> testCases;
        using (ITestFrameworkDiscoverer discoverer = framework.GetDiscoverer(new ReflectionAssemblyInfo(assembly)))
        {
            using var discovery = new DiscoverySink();
            discoverer.Find(includeSourceInformation: false, discovery, options);
            discovery.Finished.WaitOne();
            testCases = discovery.TestCases.Where(t => Selected(t, filters)).ToList();
        }
        if (testCases.Count == 0)
        {
            output.WriteLine($"No test matches {string.Join(" ", filters)}.");
            return 1;
        }

        output.WriteLine($"Running {testCases.Count} test(s).");
        using var execution = new ExecutionSink(output);
        using (ITestFrameworkExecutor executor = framework.GetExecutor(assembly.GetName()))
        {
            executor.RunTests(testCases, execution, options);
            execution.Finished.WaitOne();
        }
        output.WriteLine($"{execution.Passed} passed, {execution.Failed} failed, {execution.Skipped} skipped");
        return execution.Failed == 0 && execution.Passed > 0 ? 0 : 1;
    }

    /// <summary>
    /// A filter names a test class (short or full name) or one method of it (Class.Method); names, not substrings,
    /// so "TransformersAgreementTests" does not also pick GmsaTransformersAgreementTests.
    /// </summary>
    internal static bool Selected(string fullClassName, string method, IReadOnlyList<string> filters)
    {
        if (filters.Count == 0)
        {
            return true;
        }
        string shortClassName = fullClassName[(fullClassName.LastIndexOf('.') + 1)..];
        return filters.Any(f => f == fullClassName || f == shortClassName || f == $"{fullClassName}.{method}" || f == $"{shortClassName}.{method}");
    }

    private static bool Selected(ITestCase test, IReadOnlyList<string> filters) =>
        Selected(test.TestMethod.TestClass.Class.Name, test.TestMethod.Method.Name, filters);

    /// <summary>xUnit's option bag; unset options take xUnit's defaults.</summary>
    private sealed class RunnerOptions : ITestFrameworkDiscoveryOptions, ITestFrameworkExecutionOptions
    {
        private readonly Dictionary<string, object?> _values = new();

        public TValue GetValue<TValue>(string name) => _values.TryGetValue(name, out object? value) && value is TValue typed ? typed : default!;

        public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
    }

    private sealed class DiscoverySink : LongLivedMarshalByRefObject, IMessageSink, IDisposable
    {
        public List<ITestCase> TestCases { get; } = new();

        public ManualResetEvent Finished { get; } = new(false);

        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is ITestCaseDiscoveryMessage discovered)
            {
                TestCases.Add(discovered.TestCase);
            }
            else if (message is IDiscoveryCompleteMessage)
            {
                Finished.Set();
            }
            return true;
        }

        public void Dispose() => Finished.Dispose();
    }

    /// <summary>Prints each result as it comes; failures outside a test (a fixture or clean-up, say) count as failures.</summary>
    private sealed class ExecutionSink(TextWriter output) : LongLivedMarshalByRefObject, IMessageSink, IDisposable
    {
        public int Passed { get; private set; }

        public int Failed { get; private set; }

        public int Skipped { get; private set; }

        public ManualResetEvent Finished { get; } = new(false);

        public bool OnMessage(IMessageSinkMessage message)
        {
            switch (message)
            {
                case ITestPassed passed:
                    Passed++;
                    output.WriteLine($"  passed  {passed.Test.DisplayName} ({passed.ExecutionTime:F2} s)");
                    break;
                case ITestFailed failed:
                    Failed++;
                    output.WriteLine($"  FAILED  {failed.Test.DisplayName} ({failed.ExecutionTime:F2} s)");
                    WriteFailure(failed);
                    break;
                case ITestSkipped skipped:
                    Skipped++;
                    output.WriteLine($"  skipped {skipped.Test.DisplayName}: {skipped.Reason}");
                    break;
                case IFailureInformation failure:
                    Failed++;
                    output.WriteLine($"  ERROR outside a test ({message.GetType().Name})");
                    WriteFailure(failure);
                    break;
                case ITestAssemblyFinished:
                    Finished.Set();
                    break;
            }
            output.Flush();
            return true;
        }

        private void WriteFailure(IFailureInformation failure)
        {
            for (int i = 0; i < failure.Messages.Length; i++)
            {
                output.WriteLine($"    {failure.ExceptionTypes[i]}: {failure.Messages[i]}");
                output.WriteLine($"    {failure.StackTraces[i]?.Replace("\n", "\n    ", StringComparison.Ordinal)}");
            }
        }

        public void Dispose() => Finished.Dispose();
    }
}
