using GmsaSharp.Cli;
using GmsaSharp.Tests.Support;

namespace GmsaSharp.Tests;

/// <summary>
/// The test assembly as a program, for machines with the .NET runtime but no SDK (tools/gpu): `test [filters]`
/// runs the tests in-process, `gmsa ...` runs the gmsa command from the same files, so one bundle carries both.
/// `dotnet test` ignores this entry point.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "test":
                return InProcessTestRunner.Run(args[1..], Console.Out);
            case "gmsa":
                return await GmsaCli.Create().Parse(args[1..]).InvokeAsync();
            default:
                Console.Error.WriteLine("usage: GmsaSharp.Tests test [Class | Class.Method]...   run tests (all when none named)");
                Console.Error.WriteLine("       GmsaSharp.Tests gmsa <arguments>                 run the gmsa command");
                return 2;
        }
    }
}
