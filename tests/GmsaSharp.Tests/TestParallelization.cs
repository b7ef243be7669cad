using Xunit;

// One test class at a time. TorchSharp turns numbers into Scalars implicitly (`tensor * 0.5`, and the alpha of every
// `a + b`) and leaves them to the finalizer; a garbage collection triggered by another thread while the native call
// runs can free such a Scalar first ("Unknown scalar type", a toBFloat16 check), which failed two CI runs in a row
// with classes running in parallel. Serial runs leave almost no other thread allocating during a call. The hazard is
// TorchSharp's (its pull requests #1434 and #1496 would dispose those Scalars) and remains for multi-threaded apps.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
