namespace GmsaSharp.Synthetic;

/// <summary>How a <see cref="BiographyWorld"/> gives employees their employer's city.</summary>
public enum EmployerCities
{
    /// <summary>
    /// Each company has one city for the whole world, so all its employees name the same one. A model trained on
    /// such a world can answer an employer city (and guess the employer from it) from memory instead of reading.
    /// </summary>
    PerCompany,

    /// <summary>
    /// Each person's employer city is drawn on its own (a company with offices everywhere), so nothing outside
    /// the document tells it: it can only be read.
    /// </summary>
    PerPerson,
}
