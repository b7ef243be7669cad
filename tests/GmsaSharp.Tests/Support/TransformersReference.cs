using System.Security.Cryptography;
using System.Text.Json;

namespace GmsaSharp.Tests.Support;

/// <summary>
/// The checkpoints and tokenizers in tests/GmsaSharp.Tests/TransformersReference and the reference.json files
/// that HuggingFace transformers, tokenizers and sentencepiece computed for them (generate.py there; see its
/// README.md for the versions and how to run it again).
/// </summary>
internal static class TransformersReference
{
    public static string Folder => RepositoryFolder.Find(Path.Combine("tests", "GmsaSharp.Tests", "TransformersReference"), "generate.py");

    /// <summary>
    /// Frozen copies of bio-small models once shipped (same layout as models/bio-small), which bundled-reference.json
    /// and gmsa-reference.json describe; the shipped models can be retrained without new references.
    /// </summary>
    public static string FrozenBioSmall => Path.Combine(Folder, "bio-small");

    /// <summary>The parsed reference file at <paramref name="relativePath"/> under <see cref="Folder"/>.</summary>
    public static JsonElement Read(string relativePath)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, relativePath)));
        return document.RootElement.Clone();
    }

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    /// <summary>Fails with what to do when <paramref name="weightsFile"/> is no longer the file a reference was made from.</summary>
    public static void AssertSameWeights(string weightsFile, JsonElement expectedSha256, string referenceFile)
    {
        string actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(weightsFile)));
        Assert.True(actual == expectedSha256.GetString(),
            $"{weightsFile} changed after {referenceFile} was produced: run TransformersReference/generate.py again");
    }

    /// <summary>Fails unless every value is within <paramref name="tolerance"/> x max(1, largest |expected|).</summary>
    public static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0, scale = 1;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        Assert.True(worst <= tolerance * scale, $"{what}: max |difference| from transformers {worst:G4} exceeds {tolerance:G2} x {scale:G4}");
    }
}
