namespace GmsaSharp.Tests.Support;

public sealed class TestDeviceTests
{
    [Theory]
    [InlineData(null, "cpu")]
    [InlineData("", "cpu")]
    [InlineData("  ", "cpu")]
    [InlineData("cpu", "cpu")]
    [InlineData(" CUDA ", "cuda")]
    [InlineData("cuda:1", "cuda:1")]
    public void ParsesTheVariable(string? value, string expected) => Assert.Equal(expected, TestDevice.Parse(value));

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:x")]
    public void RejectsOtherDevicesNamingTheVariable(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => TestDevice.Parse(value));
        Assert.Contains(TestDevice.Variable, error.Message, StringComparison.Ordinal);
    }
}
