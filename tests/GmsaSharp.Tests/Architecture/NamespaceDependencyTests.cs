using GmsaSharp.Models;

namespace GmsaSharp.Tests.Architecture;

/// <summary>The library's folders are layers: a namespace never depends, directly or through others, on itself.</summary>
public class NamespaceDependencyTests
{
    private static readonly NamespaceGraph Library = NamespaceGraph.Of(typeof(CausalLM).Assembly, "GmsaSharp");

    [Fact]
    public void LibraryNamespacesHaveNoCycle()
    {
        IReadOnlyList<string>? cycle = Library.FindCycle();
        Assert.True(cycle is null, $"Namespace cycle: {string.Join(" -> ", cycle ?? [])}.");
    }

    [Fact]
    public void GraphSeesDependenciesInSignaturesAndMethodBodies()
    {
        // Models uses Checkpoints only inside method bodies (weight loading), Compression uses Models in signatures.
        Assert.Contains("GmsaSharp.Checkpoints", Library.Edges["GmsaSharp.Models"]);
        Assert.Contains("GmsaSharp.Models", Library.Edges["GmsaSharp.Compression"]);
        Assert.Contains("GmsaSharp.Data", Library.Edges["GmsaSharp.Evaluation"]);
    }

    [Fact]
    public void EvaluationDoesNotDependOnTraining()
    {
        Assert.DoesNotContain("GmsaSharp.Training", Library.Edges["GmsaSharp.Evaluation"]);
    }

    [Fact]
    public void FindCycleReportsACycle()
    {
        var graph = new NamespaceGraph(new Dictionary<string, IReadOnlySet<string>>
        {
            ["A"] = new HashSet<string> { "B" },
            ["B"] = new HashSet<string> { "C" },
            ["C"] = new HashSet<string> { "A" },
            ["D"] = new HashSet<string> { "A" },
        });
        Assert.Equal(["A", "B", "C", "A"], graph.FindCycle());
    }

    [Fact]
    public void FindCycleAcceptsALayeredGraph()
    {
        var graph = new NamespaceGraph(new Dictionary<string, IReadOnlySet<string>>
        {
            ["A"] = new HashSet<string> { "B", "C" },
            ["B"] = new HashSet<string> { "C" },
            ["C"] = new HashSet<string>(),
        });
        Assert.Null(graph.FindCycle());
    }
}
