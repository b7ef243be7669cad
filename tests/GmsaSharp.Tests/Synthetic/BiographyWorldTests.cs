using GmsaSharp.Synthetic;

namespace GmsaSharp.Tests.Synthetic;

public class BiographyWorldTests
{
    private static readonly WordLists Words = WordLists.Load();

    [Fact]
    public void SameSeedGivesTheSamePeople()
    {
        BiographyWorld first = BiographyWorld.Create(seed: 7, peopleCount: 200, Words);
        BiographyWorld second = BiographyWorld.Create(seed: 7, peopleCount: 200, Words);

        Assert.Equal(first.People, second.People);
    }

    [Fact]
    public void DifferentSeedsGiveDifferentPeople()
    {
        BiographyWorld first = BiographyWorld.Create(seed: 7, peopleCount: 200, Words);
        BiographyWorld second = BiographyWorld.Create(seed: 8, peopleCount: 200, Words);

        Assert.NotEqual(first.People.Select(p => p.FullName), second.People.Select(p => p.FullName));
    }

    [Fact]
    public void FullNamesAreUniqueAndAttributesComeFromTheWordLists()
    {
        BiographyWorld world = BiographyWorld.Create(seed: 3, peopleCount: 2000, Words);

        Assert.Equal(world.People.Count, world.People.Select(p => p.FullName).Distinct().Count());
        Assert.All(world.People, person =>
        {
            IReadOnlyList<string> firstNames = person.Gender == Gender.Female ? Words.FemaleFirstNames : Words.MaleFirstNames;
            Assert.Contains(person.FirstName, firstNames);
            Assert.Contains(person.MiddleName, firstNames);
            Assert.NotEqual(person.FirstName, person.MiddleName);
            Assert.Contains(person.BirthCity, Words.Cities);
            Assert.Contains(person.University, Words.Universities);
            Assert.Contains(person.Major, Words.Majors);
            Assert.Contains(person.Employer, Words.Companies);
        });
        Assert.Equal(Enumerable.Range(0, world.People.Count), world.People.Select(p => p.Id));
    }

    [Fact]
    public void EmployeesOfOneCompanyShareTheEmployerCity()
    {
        BiographyWorld world = BiographyWorld.Create(seed: 3, peopleCount: 2000, Words);

        Assert.All(world.People.GroupBy(p => p.Employer), company => Assert.Single(company.Select(p => p.EmployerCity).Distinct()));
    }

    [Fact]
    public void PerPersonEmployerCitiesVaryWithinACompany()
    {
        BiographyWorld world = BiographyWorld.Create(seed: 3, peopleCount: 2000, Words, EmployerCities.PerPerson);

        // About 2000 / companies employees each, cities drawn independently from the whole list: a company whose
        // employees all share one city would mean the cities are still drawn per company.
        var companies = world.People.GroupBy(p => p.Employer).Where(company => company.Count() >= 5).ToList();
        Assert.NotEmpty(companies);
        Assert.All(companies, company => Assert.True(company.Select(p => p.EmployerCity).Distinct().Count() > 1, company.Key));
        Assert.All(world.People, person => Assert.Contains(person.EmployerCity, Words.Cities));
    }

    [Fact]
    public void PerCompanyIsTheDefaultAndKeepsEarlierWorlds()
    {
        BiographyWorld byDefault = BiographyWorld.Create(seed: 1, peopleCount: 100000, Words);
        BiographyWorld perCompany = BiographyWorld.Create(seed: 1, peopleCount: 100000, Words, EmployerCities.PerCompany);

        Assert.Equal(byDefault.People, perCompany.People);
        // The bundled model's corpora come from this world: its draws must not change.
        string everyone = string.Join("\n", byDefault.People.Select(p => p.ToString()));
        Assert.Equal(SeedOneWorldHash, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(everyone)))[..16]);
    }

    [Fact]
    public void AnUnknownEmployerCityModeIsRefused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => BiographyWorld.Create(seed: 1, peopleCount: 10, Words, (EmployerCities)7));

        Assert.Contains("employer cities", error.Message);
    }

    // The first 16 hex digits of SHA-256 over the seed-1, 100,000-person world (models/bio-small/build.sh's).
    private const string SeedOneWorldHash = "F8FD73C82B3D012E";

    [Fact]
    public void SplitsShareNobodyAndCoverEveryone()
    {
        BiographyWorld world = BiographyWorld.Create(seed: 5, peopleCount: 1000, Words);

        BiographySplits splits = world.Split(validationFraction: 0.1, testFraction: 0.2);

        Assert.Equal(700, splits.Train.Count);
        Assert.Equal(100, splits.Validation.Count);
        Assert.Equal(200, splits.Test.Count);
        var all = splits.Train.Concat(splits.Validation).Concat(splits.Test).Select(p => p.Id).ToList();
        Assert.Equal(world.People.Count, all.Distinct().Count());
        Assert.Equal(world.People.Count, all.Count);
        Assert.Equal(splits.Test, world.Split(0.1, 0.2).Test);
    }

    [Fact]
    public void DatesAreWrittenInOneFormat()
    {
        Assert.Equal("March 4, 1987", Person.FormatDate(new DateOnly(1987, 3, 4)));
        Assert.Equal("December 31, 2001", Person.FormatDate(new DateOnly(2001, 12, 31)));
    }

    [Fact]
    public void RejectsBadSizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BiographyWorld.Create(1, 0, Words));
        Assert.Throws<ArgumentOutOfRangeException>(() => BiographyWorld.Create(1, int.MaxValue, Words));
        Assert.Throws<ArgumentOutOfRangeException>(() => BiographyWorld.Create(1, 10, Words).Split(0.5, 0.5));
    }

    [Fact]
    public void MissingWordListNamesTheFile()
    {
        string directory = Directory.CreateTempSubdirectory("gmsa-words-").FullName;
        try
        {
            FileNotFoundException error = Assert.Throws<FileNotFoundException>(() => WordLists.Load(directory));
            Assert.Contains("female-first-names.txt", error.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
