using System.Globalization;

namespace GmsaSharp.Synthetic;

/// <summary>One person of a <see cref="BiographyWorld"/>. Full names are unique within a world.</summary>
/// <param name="Id">The index of the person in <see cref="BiographyWorld.People"/>.</param>
/// <param name="FirstName">The first name.</param>
/// <param name="MiddleName">The middle name (another first name of the same gender).</param>
/// <param name="LastName">The last name.</param>
/// <param name="Gender">The gender, which decides the pronouns of the biography.</param>
/// <param name="BirthDate">The birth date.</param>
/// <param name="BirthCity">The birth city.</param>
/// <param name="University">The university attended.</param>
/// <param name="Major">The field of study.</param>
/// <param name="Employer">The company worked for.</param>
/// <param name="EmployerCity">The city of the employer (shared by a company's employees unless the world draws it per person).</param>
public sealed record Person(
    int Id,
    string FirstName,
    string MiddleName,
    string LastName,
    Gender Gender,
    DateOnly BirthDate,
    string BirthCity,
    string University,
    string Major,
    string Employer,
    string EmployerCity)
{
    /// <summary>First, middle and last name.</summary>
    public string FullName => $"{FirstName} {MiddleName} {LastName}";

    /// <summary>
    /// The one way dates are written in biographies and answers ("March 4, 1987"), so that an answer is found
    /// verbatim in its document.
    /// </summary>
    public static string FormatDate(DateOnly date) => date.ToString("MMMM d, yyyy", CultureInfo.InvariantCulture);

    /// <summary>The text of <paramref name="attribute"/>, exactly as biographies write it.</summary>
    public string ValueOf(PersonAttribute attribute) => attribute switch
    {
        PersonAttribute.BirthDate => FormatDate(BirthDate),
        PersonAttribute.BirthCity => BirthCity,
        PersonAttribute.University => University,
        PersonAttribute.Major => Major,
        PersonAttribute.Employer => Employer,
        PersonAttribute.EmployerCity => EmployerCity,
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute, "Unknown person attribute."),
    };
}
