namespace GmsaSharp.Extensions.AI;

/// <summary>Keys a request may set in <c>ChatOptions.AdditionalProperties</c>, and keys of the counts in
/// <c>UsageDetails.AdditionalCounts</c> that a response reports.</summary>
public static class GmsaChatOptionKeys
{
    /// <summary>The compression rate for this request's document (an int from 1).</summary>
    public const string Rate = "gmsa_rate";

    /// <summary>A <see cref="Compression.CompressedContext"/> to answer from instead of compressing the messages' document.</summary>
    public const string Context = "gmsa_context";

    /// <summary>Usage: tokens of the document.</summary>
    public const string SourceTokens = "gmsa_source_tokens";

    /// <summary>Usage: soft tokens the decoder read in place of the document.</summary>
    public const string SoftTokens = "gmsa_soft_tokens";

    /// <summary>Usage: document tokens the decoder did not have to read (source tokens minus soft tokens).</summary>
    public const string TokensSaved = "gmsa_tokens_saved";
}
