namespace GmsaSharp.Tests.Support;

/// <summary>Finds folders of the repository (models/, test data) above wherever the tests run from.</summary>
internal static class RepositoryFolder
{
    /// <summary>
    /// The first <paramref name="relativePath"/> above the test binaries or the working directory that holds
    /// <paramref name="marker"/>; a clear error when the checkout lacks it.
    /// </summary>
    public static string Find(string relativePath, string marker) =>
        new[] { AppContext.BaseDirectory, Environment.CurrentDirectory }
            .SelectMany(Ancestors)
            .Select(directory => Path.Combine(directory, relativePath))
            .FirstOrDefault(candidate => Path.Exists(Path.Combine(candidate, marker)))
        ?? throw new DirectoryNotFoundException($"{relativePath} (with {marker}) was not found above the test directory.");

    private static IEnumerable<string> Ancestors(string directory)
    {
        for (DirectoryInfo? current = new(directory); current is not null; current = current.Parent)
        {
            yield return current.FullName;
        }
    }
}
