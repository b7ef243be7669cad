namespace GmsaSharp.Synthetic;

/// <summary>
/// A population of people with unique full names and random attributes, fixed by a seed (after "Physics of
/// Language Models 3.1", Allen-Zhu and Li). By default each company has one city, so its employees share an
/// employer city; <see cref="EmployerCities.PerPerson"/> draws it per person instead.
/// </summary>
public sealed class BiographyWorld
{
    private const int FirstBirthYear = 1940;
    private const int LastBirthYear = 2004;

    private BiographyWorld(int seed, WordLists words, IReadOnlyList<Person> people)
    {
        Seed = seed;
        Words = words;
        People = people;
    }

    /// <summary>The seed the world was created from.</summary>
    public int Seed { get; }

    /// <summary>The word lists the world was drawn from (filler paragraphs draw from them too).</summary>
    public WordLists Words { get; }

    /// <summary>Everyone, in creation order; <see cref="Person.Id"/> is the index.</summary>
    public IReadOnlyList<Person> People { get; }

    /// <summary>
    /// Creates <paramref name="peopleCount"/> people from <paramref name="seed"/> and the word lists (default
    /// <see cref="WordLists.Load"/>). With <see cref="EmployerCities.PerCompany"/> (the default) the draws are
    /// those of every earlier version, so a seed still makes the same world.
    /// </summary>
    public static BiographyWorld Create(int seed, int peopleCount, WordLists? words = null, EmployerCities employerCities = EmployerCities.PerCompany)
    {
        if (!Enum.IsDefined(employerCities))
        {
            throw new ArgumentOutOfRangeException(nameof(employerCities), employerCities, "Unknown way of giving employer cities.");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(peopleCount);
        words ??= WordLists.Load();
        long nameCount = (long)words.LastNames.Count * (
            (long)words.FemaleFirstNames.Count * (words.FemaleFirstNames.Count - 1) +
            (long)words.MaleFirstNames.Count * (words.MaleFirstNames.Count - 1));
        // Names are drawn until unused; past half of all names the draws would mostly collide.
        if (peopleCount > nameCount / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(peopleCount), peopleCount,
                $"The word lists give {nameCount} distinct full names; at most {nameCount / 2} people can be created.");
        }

        SeededRandom random = SeededRandom.For(seed, "world");
        var companyCities = words.Companies.ToDictionary(company => company, _ => random.Pick(words.Cities), StringComparer.Ordinal);
        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        var people = new List<Person>(peopleCount);
        while (people.Count < peopleCount)
        {
            Gender gender = random.Next(2) == 0 ? Gender.Female : Gender.Male;
            IReadOnlyList<string> firstNames = gender == Gender.Female ? words.FemaleFirstNames : words.MaleFirstNames;
            string first = random.Pick(firstNames);
            string middle = random.Pick(firstNames);
            string last = random.Pick(words.LastNames);
            if (middle == first || !usedNames.Add($"{first} {middle} {last}"))
            {
                continue;
            }
            int year = random.NextInclusive(FirstBirthYear, LastBirthYear);
            int month = random.NextInclusive(1, 12);
            int day = random.NextInclusive(1, DateTime.DaysInMonth(year, month));
            string employer = random.Pick(words.Companies);
            string birthCity = random.Pick(words.Cities);
            string university = random.Pick(words.Universities);
            string major = random.Pick(words.Majors);
            string employerCity = employerCities == EmployerCities.PerPerson ? random.Pick(words.Cities) : companyCities[employer];
            people.Add(new Person(people.Count, first, middle, last, gender, new DateOnly(year, month, day),
                birthCity, university, major, employer, employerCity));
        }
        return new BiographyWorld(seed, words, people);
    }

    /// <summary>
    /// Divides the people at random (fixed by <see cref="Seed"/>) into train, validation and test groups that
    /// share nobody; validation and test get the given fractions (rounded), train the rest.
    /// </summary>
    public BiographySplits Split(double validationFraction, double testFraction)
    {
        if (!(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction),
                $"Validation ({validationFraction}) and test ({testFraction}) fractions must be non-negative and leave some people for training.");
        }
        var shuffled = People.ToList();
        SeededRandom.For(Seed, "split").Shuffle(shuffled);
        int validationCount = (int)Math.Round(People.Count * validationFraction);
        int testCount = (int)Math.Round(People.Count * testFraction);
        int trainCount = People.Count - validationCount - testCount;
        return new BiographySplits(
            shuffled.Take(trainCount).ToList(),
            shuffled.Skip(trainCount).Take(validationCount).ToList(),
            shuffled.Skip(trainCount + validationCount).ToList());
    }
}
