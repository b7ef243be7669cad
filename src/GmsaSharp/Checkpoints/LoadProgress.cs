namespace GmsaSharp.Checkpoints;

/// <summary>Progress of loading a checkpoint: weight tensors copied into the model out of all it needs.</summary>
/// <param name="TensorsLoaded">Tensors loaded so far.</param>
/// <param name="Tensors">Tensors the model needs.</param>
public readonly record struct LoadProgress(int TensorsLoaded, int Tensors);
