using System.CommandLine;
using GmsaSharp.Runtime;

namespace GmsaSharp.Cli;

/// <summary>Options every command that computes shares: where and in what precision.</summary>
internal sealed class CommonOptions
{
    public Option<string?> Device { get; } = new("--device") { Description = "auto (default), cpu, cuda or cuda:N." };

    public Option<string?> DType { get; } = new("--dtype") { Description = $"Compute dtype: {ComputeDTypes.AcceptedNames} (default: bfloat16 where the hardware computes it natively, else float32)." };

    public Option<int?> Threads { get; } = new("--threads") { Description = "CPU threads (default: one per logical processor)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Device);
        command.Options.Add(DType);
        command.Options.Add(Threads);
    }

    public ComputeOptions Read(ParseResult result)
    {
        string? dtypeName = result.GetValue(DType);
        return new ComputeOptions
        {
            Device = result.GetValue(Device),
            DType = dtypeName is null ? null : ComputeDTypes.Parse(dtypeName),
            Threads = result.GetValue(Threads),
        };
    }
}
