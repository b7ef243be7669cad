using GmsaSharp.Generation;

namespace GmsaSharp.Tests.Generation;

public class StopStringFilterTests
{
    [Fact]
    public void StopsBeforeAStopStringSplitAcrossChunks()
    {
        var filter = new StopStringFilter(["\n\nQ:"]);

        string emitted = filter.Push("Paris is the") + filter.Push(" answer.\n") + filter.Push("\nQ") + filter.Push(": next");

        Assert.True(filter.Stopped);
        Assert.Equal("Paris is the answer.", emitted + filter.Flush());
    }

    [Fact]
    public void ReleasesHeldBackTextWhenItTurnsOutNotToBeAStop()
    {
        var filter = new StopStringFilter(["END"]);

        Assert.Equal("abc ", filter.Push("abc EN"));
        Assert.Equal("ENd", filter.Push("d"));
        Assert.Equal("", filter.Flush());
        Assert.False(filter.Stopped);
    }

    [Fact]
    public void WithoutStopStringsEverythingPassesThrough()
    {
        var filter = new StopStringFilter([]);

        Assert.Equal("hello", filter.Push("hello"));
        Assert.Equal("", filter.Flush());
    }

    [Fact]
    public void TheEarliestOfSeveralStopStringsWins()
    {
        var filter = new StopStringFilter(["zz", "b"]);

        Assert.Equal("a", filter.Push("abzz"));
        Assert.Equal("", filter.Push("more"));
    }
}
