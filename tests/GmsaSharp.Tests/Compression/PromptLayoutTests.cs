using System.Text.Json.Nodes;
using GmsaSharp.Compression;
using GmsaSharp.Tests.Support;

namespace GmsaSharp.Tests.Compression;

public class PromptLayoutTests
{
    private static readonly PromptLayout Qa = SmallGmsaConfig.Qa;

    [Fact]
    public void QuestionPromptAndAnswerTargetFollowTheLayout()
    {
        Assert.Equal("Question: Who?\nAnswer:", Qa.QuestionPrompt("Who?"));
        Assert.Equal(" Ada", Qa.AnswerTarget("Ada"));
        Assert.Equal("Who?", PromptLayout.Default.QuestionPrompt("Who?"));
    }

    [Fact]
    public void TheFullPromptPutsTheQuestionPromptAfterTheContext()
    {
        Assert.Equal(("", "\n\nQuestion: Who?\nAnswer:"), Qa.FullPrompt("Who?"));
        var framed = Qa with { FullPromptTemplate = "Text: {context}\n{prompt} (short)" };
        Assert.Equal(("Text: ", "\nQuestion: Who?\nAnswer: (short)"), framed.FullPrompt("Who?"));
        Assert.Equal(("Text: ", "\n", " (short)"), framed.FullPromptParts());
    }

    [Theory]
    [InlineData("no placeholder", PromptLayout.DefaultFullPromptTemplate, "question template")]
    [InlineData("{question}", "{prompt} without the context", "{context} followed by {prompt}")]
    [InlineData("{question}", "{context} without the question", "{context} followed by {prompt}")]
    [InlineData("{question}", "{prompt} before {context}", "{context} followed by {prompt}")]
    public void ValidateNamesTheTemplateThatIsWrong(string question, string full, string expected)
    {
        var layout = new PromptLayout { QuestionTemplate = question, FullPromptTemplate = full };

        var error = Assert.Throws<ArgumentException>(layout.Validate);

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void AGmsaConfigWritesTheFullPromptTemplateOnlyWhenItIsNotTheDefault()
    {
        GmsaConfig config = Config(fullPromptTemplate: null);
        using var folder = new TempModelFolder();

        config.Save(folder.Path);
        Assert.False(ReadJson(folder.Path).ContainsKey("full_prompt_template"));
        Assert.Equal(PromptLayout.DefaultFullPromptTemplate, GmsaConfig.Load(folder.Path).Prompts.FullPromptTemplate);

        (config with { FullPromptTemplate = "Text: {context}\n{prompt}" }).Save(folder.Path);
        Assert.Equal("Text: {context}\n{prompt}", (string?)ReadJson(folder.Path)["full_prompt_template"]);
        Assert.Equal(Qa with { FullPromptTemplate = "Text: {context}\n{prompt}" }, GmsaConfig.Load(folder.Path).Prompts);
    }

    [Fact]
    public void AGmsaConfigIsValidatedWithItsPromptLayout()
    {
        var error = Assert.Throws<ArgumentException>(() => (Config(null) with { FullPromptTemplate = "{context}" }).Validate());

        Assert.Contains("full-prompt template", error.Message);
    }

    private static GmsaConfig Config(string? fullPromptTemplate) => SmallGmsaConfig.Create(fullPromptTemplate);

    private static JsonObject ReadJson(string folder) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, GmsaConfig.FileName)))!.AsObject();
}
