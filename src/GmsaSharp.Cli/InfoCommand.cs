using System.CommandLine;
using GmsaSharp.Runtime;
using TorchSharp;

namespace GmsaSharp.Cli;

/// <summary>`gmsa info`: proves the native runtime loads and shows what it would compute on.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var command = new Command("info", "Load LibTorch and report the device, dtype and threads GmsaSharp would use.");
        common.AddTo(command);
        command.SetAction(result => CliErrors.Run(() =>
        {
            ComputeEnvironment environment = ComputeEnvironment.Select(common.Read(result)).Apply();
            Console.WriteLine($"TorchSharp {typeof(torch).Assembly.GetName().Version}, LibTorch {torch.__version__}");
            Console.WriteLine(environment.Describe());
            return Task.FromResult(0);
        }));
        return command;
    }
}
