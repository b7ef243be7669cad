namespace GmsaSharp.Synthetic;

/// <summary>A fact about a <see cref="Person"/> that a biography states in one sentence and a question asks for.</summary>
public enum PersonAttribute
{
    /// <summary>The birth date, written as in <see cref="Person.FormatDate"/>.</summary>
    BirthDate,

    /// <summary>The city the person was born in.</summary>
    BirthCity,

    /// <summary>The university the person attended.</summary>
    University,

    /// <summary>The person's field of study.</summary>
    Major,

    /// <summary>The company the person works for.</summary>
    Employer,

    /// <summary>The city of the person's employer.</summary>
    EmployerCity,
}
