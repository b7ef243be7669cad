namespace GmsaSharp.Data;

/// <summary>One line of a GMSA JSONL file: a context, and for QA a prompt and its gold answers.</summary>
/// <param name="Input">The context to compress.</param>
/// <param name="Prompt">The question (QA only).</param>
/// <param name="Answers">Gold answers (QA only; the first is the training target).</param>
/// <param name="Line">1-based line number in its file, for messages.</param>
public sealed record GmsaSample(string Input, string? Prompt, IReadOnlyList<string> Answers, int Line)
{
    /// <summary>
    /// The line's other top-level fields whose values are strings, numbers or booleans, as text (numbers as
    /// written, booleans as "true"/"false"): labels such as a question's category, for grouping results.
    /// </summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
}
