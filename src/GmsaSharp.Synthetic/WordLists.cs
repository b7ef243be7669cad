namespace GmsaSharp.Synthetic;

/// <summary>
/// The word lists a <see cref="BiographyWorld"/> draws from: plain text files, one item per line, shipped in
/// the SyntheticData folder beside the assembly.
/// </summary>
public sealed class WordLists
{
    private WordLists(string directory)
    {
        FemaleFirstNames = Read(directory, "female-first-names.txt");
        MaleFirstNames = Read(directory, "male-first-names.txt");
        LastNames = Read(directory, "last-names.txt");
        Cities = Read(directory, "cities.txt");
        Universities = Read(directory, "universities.txt");
        Majors = Read(directory, "majors.txt");
        Companies = Read(directory, "companies.txt");
    }

    /// <summary>The folder the lists are shipped in, beside this assembly.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "SyntheticData");

    /// <summary>First (and middle) names of women.</summary>
    public IReadOnlyList<string> FemaleFirstNames { get; }

    /// <summary>First (and middle) names of men.</summary>
    public IReadOnlyList<string> MaleFirstNames { get; }

    /// <summary>Last names.</summary>
    public IReadOnlyList<string> LastNames { get; }

    /// <summary>Cities: birth cities, employer cities, and the places of filler paragraphs.</summary>
    public IReadOnlyList<string> Cities { get; }

    /// <summary>Universities.</summary>
    public IReadOnlyList<string> Universities { get; }

    /// <summary>Fields of study.</summary>
    public IReadOnlyList<string> Majors { get; }

    /// <summary>Companies.</summary>
    public IReadOnlyList<string> Companies { get; }

    /// <summary>Reads the lists from <paramref name="directory"/> (default <see cref="DefaultDirectory"/>).</summary>
    public static WordLists Load(string? directory = null) => new(directory ?? DefaultDirectory);

    private static List<string> Read(string directory, string fileName)
    {
        string path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The word list '{path}' does not exist.", path);
        }
        var items = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            string item = line.Trim();
            if (item.Length == 0)
            {
                throw new InvalidDataException($"The word list '{path}' has an empty line {lineNumber}.");
            }
            if (!seen.Add(item))
            {
                throw new InvalidDataException($"The word list '{path}' has '{item}' twice (line {lineNumber}).");
            }
            items.Add(item);
        }
        if (items.Count < 2)
        {
            throw new InvalidDataException($"The word list '{path}' has {items.Count} items; at least 2 are needed.");
        }
        return items;
    }
}
