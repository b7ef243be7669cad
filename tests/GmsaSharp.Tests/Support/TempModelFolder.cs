using System.Text.Json.Nodes;

namespace GmsaSharp.Tests.Support;

/// <summary>A model folder under the temp directory, deleted on dispose.</summary>
internal sealed class TempModelFolder : IDisposable
{
    public TempModelFolder()
    {
        Path = Directory.CreateTempSubdirectory("gmsa-model-").FullName;
    }

    public string Path { get; }

    public string FilePath(string name) => System.IO.Path.Combine(Path, name);

    public TempModelFolder Write(string name, string text)
    {
        File.WriteAllText(FilePath(name), text);
        return this;
    }

    public TempModelFolder Write(string name, JsonNode json) => Write(name, json.ToJsonString());

    public TempModelFolder Write(string name, byte[] bytes)
    {
        File.WriteAllBytes(FilePath(name), bytes);
        return this;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
