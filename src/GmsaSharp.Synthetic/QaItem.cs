namespace GmsaSharp.Synthetic;

/// <summary>A question about one person of a document, and its answer as the document writes it.</summary>
/// <param name="Document">The document that holds the answer.</param>
/// <param name="Person">The person asked about; their biography is in <paramref name="Document"/>.</param>
/// <param name="Attribute">The fact asked for.</param>
/// <param name="Question">The question, naming the person in full.</param>
/// <param name="Answer">The value of <paramref name="Attribute"/>; it occurs verbatim in the document.</param>
public sealed record QaItem(SyntheticDocument Document, Person Person, PersonAttribute Attribute, string Question, string Answer);
