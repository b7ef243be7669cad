using GmsaSharp.Compression;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Compression;

public class GroupMergingTests
{
    // States 1..L in a single feature, so every mean is easy to compute by hand.
    private static Tensor Counting(int length) => arange(1, length + 1, dtype: ScalarType.Float32).reshape(1, length, 1);

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void ExactGroupsAreMeansOfConsecutiveStates()
    {
        (Tensor merged, Tensor mask) = GroupMerging.Merge(Counting(8), null, 4);

        Assert.Equal(new[] { 2.5f, 6.5f }, Values(merged));
        Assert.Equal(new long[] { 1, 1 }, mask.data<long>().ToArray());
    }

    [Fact]
    public void ARemainderBecomesOneExtraVector()
    {
        (Tensor merged, _) = GroupMerging.Merge(Counting(10), null, 4);

        Assert.Equal(new[] { 2.5f, 6.5f, 9.5f }, Values(merged));
    }

    [Fact]
    public void RateOneKeepsEveryState()
    {
        (Tensor merged, _) = GroupMerging.Merge(Counting(5), null, 1);

        Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f }, Values(merged));
    }

    [Fact]
    public void ARateLargerThanTheLengthGivesOneMean()
    {
        (Tensor merged, _) = GroupMerging.Merge(Counting(3), null, 16);

        Assert.Equal(new[] { 2f }, Values(merged));
    }

    [Fact]
    public void PaddingNeverEntersAMeanAndShortRowsArePadded()
    {
        // Row 0: 6 real states; row 1: 3 real states then padding holding large values.
        Tensor hidden = tensor(new float[] { 1, 2, 3, 4, 5, 6, 10, 20, 30, 999, 999, 999 }).reshape(2, 6, 1);
        Tensor padding = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }).reshape(2, 6);

        (Tensor merged, Tensor mask) = GroupMerging.Merge(hidden, padding, 4);

        Assert.Equal(new[] { 2.5f, 5.5f, 20f, 0f }, Values(merged));
        Assert.Equal(new long[] { 1, 1, 1, 0 }, mask.data<long>().ToArray());
    }

    [Fact]
    public void LeftPaddingIsSkippedToo()
    {
        Tensor hidden = tensor(new float[] { 999, 1, 2, 3 }).reshape(1, 4, 1);
        Tensor padding = tensor(new long[] { 0, 1, 1, 1 }).reshape(1, 4);

        (Tensor merged, _) = GroupMerging.Merge(hidden, padding, 2);

        Assert.Equal(new[] { 1.5f, 3f }, Values(merged));
    }

    [Fact]
    public void EveryFeatureIsAveragedSeparately()
    {
        Tensor hidden = tensor(new float[] { 1, 10, 3, 30 }).reshape(1, 2, 2);

        (Tensor merged, _) = GroupMerging.Merge(hidden, null, 2);

        Assert.Equal(new[] { 2f, 20f }, Values(merged));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    public void RatesBelowOneAreRejected(int rate)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GroupMerging.Merge(Counting(4), null, rate));
    }

    [Theory]
    [InlineData(1, 4, 1)]
    [InlineData(8, 4, 2)]
    [InlineData(9, 4, 3)]
    [InlineData(3, 8, 1)]
    public void CountIsTheCeilingOfLengthOverRate(int length, int rate, int expected)
    {
        Assert.Equal(expected, GroupMerging.Count(length, rate));
    }
}
