namespace GmsaSharp.Generation;

/// <summary>A finished generation.</summary>
/// <param name="Text">The generated text (without the prompt, the EOS token or a stop string).</param>
/// <param name="TokenIds">The generated token ids (those whose text was cut by a stop string included).</param>
/// <param name="StopReason">Why generation ended.</param>
/// <param name="PromptTokens">Tokens the model read before generating.</param>
/// <param name="Elapsed">Wall time of prefill plus decoding.</param>
public sealed record GenerationResult(string Text, IReadOnlyList<int> TokenIds, StopReason StopReason, int PromptTokens, TimeSpan Elapsed);
