namespace GmsaSharp.Models;

/// <summary>The <c>rope_scaling</c> of type <c>llama3</c> (Llama 3.1 and later): long wavelengths are
/// stretched by <see cref="Factor"/>, short ones kept, and the band between interpolated smoothly.</summary>
public sealed record Llama3RopeScaling(double Factor, double LowFrequencyFactor, double HighFrequencyFactor, int OriginalMaxPositionEmbeddings);
