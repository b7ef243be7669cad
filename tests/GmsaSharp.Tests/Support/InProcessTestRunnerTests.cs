namespace GmsaSharp.Tests.Support;

public sealed class InProcessTestRunnerTests
{
    [Theory]
    [InlineData("TransformersAgreementTests", true)]
    [InlineData("GmsaSharp.Tests.Models.TransformersAgreementTests", true)]
    [InlineData("TransformersAgreementTests.LogitsAgreeWithTransformers", true)]
    [InlineData("GmsaTransformersAgreementTests", false)]
    [InlineData("TransformersAgreement", false)]
    public void SelectsByClassOrMethodNameNotBySubstring(string filter, bool selected) =>
        Assert.Equal(selected, InProcessTestRunner.Selected("GmsaSharp.Tests.Models.TransformersAgreementTests", "LogitsAgreeWithTransformers", [filter]));
}
