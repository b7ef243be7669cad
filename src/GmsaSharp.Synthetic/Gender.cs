namespace GmsaSharp.Synthetic;

/// <summary>The gender of a <see cref="Person"/>; it picks the first names and the pronouns of a biography.</summary>
public enum Gender
{
    /// <summary>She, her.</summary>
    Female,

    /// <summary>He, his, him.</summary>
    Male,
}
