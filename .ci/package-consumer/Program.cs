using GmsaSharp.Runtime;
using TorchSharp;

System.Console.WriteLine(ComputeEnvironment.Select().Describe());
using var sum = torch.arange(5).sum();
return sum.item<long>() == 10 ? 0 : 1;
