using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(GmsaSharp.Benchmarks.MatmulBenchmarks).Assembly).Run(args);
