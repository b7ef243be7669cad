using System.CommandLine;
using GmsaSharp.Runtime;
using TorchSharp;

namespace GmsaSharp.Cli;

/// <summary>Options every command that computes shares: where and in what precision.</summary>
internal static class CommonOptions
{
    public static Option<string?> Device() => new("--device") { Description = "auto (default), cpu, cuda or cuda:N." };

    public static Option<string?> DType() => new("--dtype") { Description = $"Compute dtype: {ComputeDTypes.AcceptedNames} (default: per device)." };

    public static Option<int?> Threads() => new("--threads") { Description = "CPU threads (default: one per logical processor)." };

    public static ComputeOptions Read(ParseResult result, Option<string?> device, Option<string?> dtype, Option<int?> threads)
    {
        string? dtypeName = result.GetValue(dtype);
        return new ComputeOptions
        {
            Device = result.GetValue(device),
            DType = dtypeName is null ? null : ComputeDTypes.Parse(dtypeName),
            Threads = result.GetValue(threads),
        };
    }
}
