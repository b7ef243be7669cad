using System.Reflection;

namespace GmsaSharp.Tests.Models;

/// <summary>.NET first compiles a method quickly and unoptimised, and optimises it only after it has run for a while:
/// for the decoding loops that made a process's first dozen answers several times slower (benchmarks/RESULTS.md, issue
/// 22), so they are marked to be compiled optimised from their first call.</summary>
internal static class OptimisedFromTheFirstCall
{
    /// <summary>Asserts that <paramref name="type"/> has private static methods named <paramref name="loops"/>, all marked.</summary>
    public static void Check(Type type, params string[] loops)
    {
        MethodInfo[] methods = type.GetMethods(BindingFlags.NonPublic | BindingFlags.Static).Where(method => loops.Contains(method.Name)).ToArray();

        Assert.Equal(loops.Order(), methods.Select(method => method.Name).Distinct().Order());
        Assert.All(methods, method => Assert.True(method.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization), method.Name));
    }
}
