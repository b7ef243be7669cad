namespace GmsaSharp.Synthetic;

/// <summary>What <see cref="SyntheticCorpus.Write"/> wrote for one split.</summary>
/// <param name="Name">The split: train, validation or test (also its folder name).</param>
/// <param name="People">People of the split.</param>
/// <param name="Documents">Lines of ae.jsonl.</param>
/// <param name="QaItems">Lines of qa.jsonl.</param>
/// <param name="PretrainingCharacters">Characters of pretrain.txt.</param>
public sealed record SyntheticSplitCounts(string Name, int People, int Documents, int QaItems, long PretrainingCharacters);
