using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process: a BenchmarkDotNet-generated child project would not carry the native LibTorch bundle and
// its compatibility fix. Few iterations: each op runs for seconds, and ratios within a run are what we report.
IConfig config = DefaultConfig.Instance.AddJob(Job.Default
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithLaunchCount(1)
    .WithWarmupCount(1)
    .WithIterationCount(5));
BenchmarkSwitcher.FromAssembly(typeof(GmsaSharp.Benchmarks.MatmulBenchmarks).Assembly).Run(args, config);
