using System.Text.RegularExpressions;
using TorchSharp;

namespace GmsaSharp.Runtime;

/// <summary>
/// Where and in what precision GmsaSharp computes: the one place that decides device, dtype and thread
/// count, and reports why. Policy: CUDA when available, else CPU; bf16 on CUDA, and on CPU only where the
/// processor has native bf16 instructions (otherwise bf16 is emulated and slower than fp32). Every choice
/// can be overridden through <see cref="ComputeOptions"/>.
/// </summary>
public sealed partial class ComputeEnvironment
{
    private ComputeEnvironment(torch.Device device, torch.ScalarType dtype, int threads, string deviceReason, string dtypeReason, string threadsReason)
    {
        Device = device;
        DType = dtype;
        Threads = threads;
        DeviceReason = deviceReason;
        DTypeReason = dtypeReason;
        ThreadsReason = threadsReason;
    }

    /// <summary>The device tensors and modules live on.</summary>
    public torch.Device Device { get; }

    /// <summary>The floating-point type of weights and activations.</summary>
    public torch.ScalarType DType { get; }

    /// <summary>Intra-op CPU threads.</summary>
    public int Threads { get; }

    /// <summary>Why <see cref="Device"/> was chosen.</summary>
    public string DeviceReason { get; }

    /// <summary>Why <see cref="DType"/> was chosen.</summary>
    public string DTypeReason { get; }

    /// <summary>Why <see cref="Threads"/> was chosen.</summary>
    public string ThreadsReason { get; }

    /// <summary>Chooses device, dtype and threads, honouring every override in <paramref name="options"/>.
    /// <paramref name="cpu"/> and <paramref name="cudaAvailable"/> default to the host's.</summary>
    public static ComputeEnvironment Select(ComputeOptions? options = null, CpuFeatures? cpu = null, bool? cudaAvailable = null)
    {
        options ??= new ComputeOptions();
        cpu ??= CpuFeatures.Detect();
        bool hasCuda = cudaAvailable ?? torch.cuda.is_available();

        (torch.Device device, string deviceReason) = SelectDevice(options.Device, hasCuda);
        (torch.ScalarType dtype, string dtypeReason) = SelectDType(options.DType, device, cpu);
        (int threads, string threadsReason) = SelectThreads(options.Threads);
        return new ComputeEnvironment(device, dtype, threads, deviceReason, dtypeReason, threadsReason);
    }

    /// <summary>Applies the thread count to TorchSharp (a process-wide setting).</summary>
    public ComputeEnvironment Apply()
    {
        torch.set_num_threads(Threads);
        return this;
    }

    /// <summary>One line saying what was chosen and why.</summary>
    public string Describe() =>
        $"device {Device} ({DeviceReason}); dtype {ComputeDTypes.Name(DType)} ({DTypeReason}); threads {Threads} ({ThreadsReason})";

    /// <inheritdoc/>
    public override string ToString() => Describe();

    private static (torch.Device, string) SelectDevice(string? requested, bool hasCuda)
    {
        string name = requested?.Trim().ToLowerInvariant() ?? "auto";
        if (name == "auto")
        {
            return hasCuda
                ? (new torch.Device(DeviceType.CUDA, 0), "CUDA is available")
                : (torch.CPU, "CUDA is not available");
        }
        if (name == "cpu")
        {
            return (torch.CPU, "requested");
        }
        Match cuda = CudaDeviceName().Match(name);
        if (!cuda.Success)
        {
            throw new ArgumentException($"Unknown device '{requested}': expected auto, cpu, cuda or cuda:N.", nameof(requested));
        }
        if (!hasCuda)
        {
            throw new InvalidOperationException(
                $"Device '{requested}' was requested but CUDA is not available: no CUDA GPU was found, or this app was built " +
                "with the CPU LibTorch bundle (build with -p:TorchBackend=cuda for the CUDA one).");
        }
        int index = cuda.Groups[1].Success ? int.Parse(cuda.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        int count = torch.cuda.device_count();
        if (index >= count)
        {
            throw new ArgumentException($"Device '{requested}' does not exist: this machine has {count} CUDA device(s).", nameof(requested));
        }
        return (new torch.Device(DeviceType.CUDA, index), "requested");
    }

    private static (torch.ScalarType, string) SelectDType(torch.ScalarType? requested, torch.Device device, CpuFeatures cpu)
    {
        if (requested is { } dtype)
        {
            ComputeDTypes.Name(dtype); // rejects non-floating types with a clear message
            return (dtype, "requested");
        }
        if (device.type == DeviceType.CUDA)
        {
            return (torch.ScalarType.BFloat16, "CUDA computes bf16 natively");
        }
        return cpu.NativeBFloat16
            ? (torch.ScalarType.BFloat16, $"CPU has {cpu.Description}")
            : (torch.ScalarType.Float32, $"CPU has {cpu.Description}");
    }

    private static (int, string) SelectThreads(int? requested)
    {
        if (requested is { } threads)
        {
            if (threads < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(requested), threads, "Threads must be at least 1.");
            }
            return (threads, "requested");
        }
        return (Environment.ProcessorCount, "one per logical processor");
    }

    [GeneratedRegex(@"^cuda(?::(\d+))?$")]
    private static partial Regex CudaDeviceName();
}
