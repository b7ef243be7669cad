namespace GmsaSharp.Synthetic;

/// <summary>The people of a <see cref="BiographyWorld"/> in three groups that share nobody.</summary>
/// <param name="Train">People of the training documents.</param>
/// <param name="Validation">People of the validation documents.</param>
/// <param name="Test">People of the held-out test documents.</param>
public sealed record BiographySplits(IReadOnlyList<Person> Train, IReadOnlyList<Person> Validation, IReadOnlyList<Person> Test);
