using GmsaSharp.Compression;
using GmsaSharp.Models;
using GmsaSharp.Tests.Support;

namespace GmsaSharp.Tests.Models;

public class LoraSettingsTests
{
    [Fact]
    public void ATargetNamedTwiceIsRejectedByName()
    {
        var settings = new LoraSettings(4, 8, 0, ["q_proj", "k_proj", "k_proj"]);

        var error = Assert.Throws<ArgumentException>(settings.Validate);

        Assert.Contains("k_proj more than once", error.Message);
    }

    /// <summary>
    /// One flipped bit turns "o_proj" into "k_proj" ('o' and 'k' differ in one bit): the fault-injection test found
    /// that such a config failed deep inside the adapters' construction with an error that named neither the file
    /// nor the list.
    /// </summary>
    [Fact]
    public void AConfigWhoseTargetsRepeatANameFailsToLoadNamingTheFile()
    {
        using var folder = new TempModelFolder();
        SmallGmsaConfig.Create().Save(folder.Path);
        string path = Path.Combine(folder.Path, GmsaConfig.FileName);
        string json = File.ReadAllText(path);
        Assert.Contains("\"o_proj\"", json);
        File.WriteAllText(path, json.Replace("\"o_proj\"", "\"k_proj\""));

        var error = Assert.Throws<InvalidDataException>(() => GmsaConfig.Load(folder.Path));

        Assert.Contains(path, error.Message);
        Assert.Contains("k_proj more than once", error.Message);
    }
}
