namespace GmsaSharp.Generation;

/// <summary>Why generation ended.</summary>
public enum StopReason
{
    /// <summary>The model produced an end-of-sequence token.</summary>
    EndOfSequence,
    /// <summary>The text reached one of the stop strings.</summary>
    StopString,
    /// <summary><see cref="GenerationOptions.MaxNewTokens"/> tokens were generated.</summary>
    MaxNewTokens,
}
