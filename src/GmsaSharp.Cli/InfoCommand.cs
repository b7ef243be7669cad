using System.CommandLine;
using GmsaSharp.Runtime;
using TorchSharp;

namespace GmsaSharp.Cli;

/// <summary>`gmsa info`: proves the native runtime loads and shows what it would compute on.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        Option<string?> device = CommonOptions.Device();
        Option<string?> dtype = CommonOptions.DType();
        Option<int?> threads = CommonOptions.Threads();
        var command = new Command("info", "Load LibTorch and report the device, dtype and threads GmsaSharp would use.") { device, dtype, threads };
        command.SetAction(result =>
        {
            try
            {
                ComputeEnvironment environment = ComputeEnvironment.Select(CommonOptions.Read(result, device, dtype, threads)).Apply();
                Console.WriteLine($"TorchSharp {typeof(torch).Assembly.GetName().Version}, LibTorch {torch.__version__}");
                Console.WriteLine(environment.Describe());
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
