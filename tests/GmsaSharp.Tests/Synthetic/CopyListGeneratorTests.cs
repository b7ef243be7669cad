using GmsaSharp.Synthetic;

namespace GmsaSharp.Tests.Synthetic;

public class CopyListGeneratorTests
{
    private static readonly WordLists Words = WordLists.Load();

    [Fact]
    public void ListsHoldTheAskedNumberOfItemsFromTheWordLists()
    {
        var pool = new HashSet<string>([.. Words.FemaleFirstNames, .. Words.MaleFirstNames, .. Words.LastNames, .. Words.Cities, .. Words.Universities, .. Words.Majors, .. Words.Companies]);

        List<IReadOnlyList<string>> lists = new CopyListGenerator(Words, minWords: 3, maxWords: 6, seed: 4).Generate(300).ToList();

        Assert.Equal(300, lists.Count);
        Assert.All(lists, list =>
        {
            Assert.InRange(list.Count, 3, 6);
            Assert.All(list, item => Assert.Contains(item, pool));
        });
        Assert.Equal([3, 4, 5, 6], lists.Select(l => l.Count).Distinct().Order());
        // Drawn from every list, not only names: some item is a company or a university.
        Assert.Contains(lists.SelectMany(l => l), item => Words.Companies.Contains(item) || Words.Universities.Contains(item));
    }

    [Fact]
    public void TheSameSeedGivesTheSameListsWhateverTheCount()
    {
        var generator = new CopyListGenerator(Words, 8, 24, seed: 9);

        List<string> ten = generator.Generate(10).Select(CopyListGenerator.Text).ToList();
        List<string> five = new CopyListGenerator(Words, 8, 24, seed: 9).Generate(5).Select(CopyListGenerator.Text).ToList();
        List<string> other = new CopyListGenerator(Words, 8, 24, seed: 10).Generate(10).Select(CopyListGenerator.Text).ToList();

        Assert.Equal(ten.Take(5), five);
        Assert.NotEqual(ten, other);
        Assert.Equal(10, ten.Distinct().Count());
    }

    [Fact]
    public void TheTextIsTheItemsSeparatedBySpaces() =>
        Assert.Equal("Hugo Cobalt Systems Kyoto", CopyListGenerator.Text(["Hugo", "Cobalt Systems", "Kyoto"]));

    [Theory]
    [InlineData(0, 5)]
    [InlineData(6, 5)]
    public void BadLengthsAreRejectedWithBothValues(int min, int max)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CopyListGenerator(Words, min, max, seed: 1));
        Assert.Contains($"got {min} and {max}", error.Message);
    }

    [Fact]
    public void ANegativeCountIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CopyListGenerator(Words, 1, 2, seed: 1).Generate(-1).ToList());
}
