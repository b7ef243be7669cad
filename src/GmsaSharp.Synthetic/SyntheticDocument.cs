namespace GmsaSharp.Synthetic;

/// <summary>A generated document and the people whose biographies it holds.</summary>
/// <param name="Text">Paragraphs (biographies and filler) separated by blank lines.</param>
/// <param name="People">The people with a biography in <paramref name="Text"/>, in order of appearance.</param>
public sealed record SyntheticDocument(string Text, IReadOnlyList<Person> People);
