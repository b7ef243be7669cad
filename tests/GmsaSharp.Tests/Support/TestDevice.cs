using System.Text.RegularExpressions;
using GmsaSharp.Runtime;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Support;

/// <summary>
/// The device that device-agnostic tests (the transformers-agreement ones) run on: CPU unless
/// GMSASHARP_TEST_DEVICE names another (cuda, cuda:N), which is how the GPU machine runs them (tools/gpu).
/// Opt-in, so the suite stays deterministic on CPU everywhere else.
/// </summary>
internal static partial class TestDevice
{
    public const string Variable = "GMSASHARP_TEST_DEVICE";

    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    public static string Name => Parse(Environment.GetEnvironmentVariable(Variable));

    /// <summary>float32 on <see cref="Name"/>.</summary>
    public static ComputeOptions Float32 => new() { Device = Name, DType = ScalarType.Float32 };

    /// <summary>Unset or blank means cpu; anything but cpu, cuda or cuda:N is an error that names the variable.</summary>
    internal static string Parse(string? value)
    {
        string name = value?.Trim().ToLowerInvariant() ?? "";
        if (name.Length == 0)
        {
            return "cpu";
        }
        if (name != "cpu" && !CudaName().IsMatch(name))
        {
            throw new ArgumentException($"{Variable}='{value}': expected cpu, cuda or cuda:N.", nameof(value));
        }
        return name;
    }

    [GeneratedRegex(@"^cuda(:\d+)?$")]
    private static partial Regex CudaName();
}
