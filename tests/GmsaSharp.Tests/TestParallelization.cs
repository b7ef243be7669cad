using Xunit;

// One test class at a time. TorchSharp turns numbers into Scalars implicitly (`tensor * 0.5`, the alpha of every
// `a + b`) and leaves them to the finalizer; a garbage collection triggered by another thread while the native call
// runs can free such a Scalar first ("Unknown scalar type", a toBFloat16 check), which failed two CI runs in a row
// with classes running in parallel. The library no longer makes such Scalars (HeldScalars, ScalarSafetyTests,
// ConcurrentCollectionTests), but TorchSharp's own optimizers (AdamW's step) still do, and training tests run them.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
