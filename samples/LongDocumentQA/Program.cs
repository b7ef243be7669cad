using GmsaSharp.Runtime;

// Question answering over a long document through GMSA compression. The bundled default model that
// this sample runs on is built by the project's own trainer and is not in the repository yet.
ComputeEnvironment environment = ComputeEnvironment.Select().Apply();
Console.WriteLine($"GmsaSharp LongDocumentQA sample: {environment.Describe()}");
Console.WriteLine("The bundled default model (models/) is not part of this checkout yet, so there is nothing to answer with.");
Console.WriteLine("LibTorch loaded and the runtime is ready; this sample will answer questions once the model ships.");
return 0;
