namespace SalesOps.TestSupport;

/// <summary>Where the checkout is, seen from a test's build output.</summary>
public static class Repository
{
    private static readonly Lazy<string> FoundRoot = new(FindRoot);

    /// <summary>The folder holding <c>SalesOps.sln</c>, found by walking up from the test's build output.</summary>
    public static string Root => FoundRoot.Value;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SalesOps.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"SalesOps.sln not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>Folders for what a test run leaves behind for a reader (CI keeps them); ignored by git.</summary>
public static class ArtifactPaths
{
    /// <summary><c>&lt;repo&gt;/artifacts/screenshots</c>, created on first use.</summary>
    public static string Screenshots => Ensure(Path.Combine(Repository.Root, "artifacts", "screenshots"));

    private static string Ensure(string directory)
    {
        Directory.CreateDirectory(directory);
        return directory;
    }
}
