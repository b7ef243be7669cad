using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using GmsaSharp.Benchmarks;

// `llama-cpp ...`: GmsaSharp against llama.cpp on the same weights (see LlamaCppComparison); `decode-profile ...`:
// where a decoding step's time goes (see DecodeProfile); `first-answers ...`: a process's first answers one by one
// (see FirstAnswers); `bandwidth`: the machine's read bandwidth; anything else goes to BenchmarkDotNet.
switch (args.FirstOrDefault())
{
    case "llama-cpp":
        return LlamaCppComparison.Run(args[1..]);
    case "decode-profile":
        return DecodeProfile.Run(args[1..]);
    case "first-answers":
        return FirstAnswers.Run(args[1..], Console.Out);
    case "bandwidth":
        foreach (int threads in new[] { 1, 2 })
        {
            Console.WriteLine($"{threads} thread(s): {MemoryBandwidth.Measure(threads) / 1e9:F1} GB/s read (best of 5 passes over 1 GiB)");
        }
        return 0;
}

// In-process: a BenchmarkDotNet-generated child project would not carry the native LibTorch bundle and
// its compatibility fix. Few iterations: each op runs for seconds, and ratios within a run are what we report.
IConfig config = DefaultConfig.Instance.AddJob(Job.Default
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithLaunchCount(1)
    .WithWarmupCount(1)
    .WithIterationCount(5));
BenchmarkSwitcher.FromAssembly(typeof(MatmulBenchmarks).Assembly).Run(args, config);
return 0;
