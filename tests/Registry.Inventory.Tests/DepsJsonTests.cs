using Microsoft.Extensions.DependencyModel;
using Registry.Inventory.Tests.Support;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Inventory.Tests;

/// <summary>
/// .NET's <c>*.deps.json</c> against the reader the .NET host itself uses (Microsoft.Extensions.DependencyModel's
/// <see cref="DependencyContextJsonReader"/>, taken from the SDK that builds this project): the NuGet packages are the
/// libraries of type <c>package</c>; projects, references and runtime packs are not NuGet packages.
/// </summary>
public sealed class DepsJsonTests
{
    public static TheoryData<string> DepsFiles()
    {
        var files = new TheoryData<string> { TestData.Vuln("inputs", "dotnet", "TestLibrary.deps.json") };
        files.Add(Path.Combine(AppContext.BaseDirectory, "Registry.Inventory.Tests.deps.json"));
        foreach (var file in Directory.EnumerateFiles(DotnetRoot(), "*.deps.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(60))
        {
            files.Add(file);
        }

        return files;
    }

    [Theory]
    [MemberData(nameof(DepsFiles))]
    public void Every_package_library_is_a_nuget_package(string file)
    {
        var expected = Expected(file);

        var packages = LanguagePackages.ParseDepsJson(File.ReadAllBytes(file), file);

        Assert.Equal(expected.Order(), packages.Select(p => (p.Name, p.Version)).Order());
        Assert.All(packages, p =>
        {
            Assert.Equal(PackageTypes.NuGet, p.Type);
            Assert.Null(p.Namespace);
            Assert.Equal(file, p.Location);
            Assert.Equal(PurlSpec.Build("nuget", null, p.Name, p.Version), p.Purl);
        });
    }

    [Fact]
    public void The_shared_test_library_has_its_twelve_packages_and_no_projects()
    {
        var file = TestData.Vuln("inputs", "dotnet", "TestLibrary.deps.json");

        var packages = LanguagePackages.ParseDepsJson(File.ReadAllBytes(file), file);

        Assert.Equal(Expected(file).Count, packages.Count);
        Assert.DoesNotContain(packages, p => p.Name is "TestLibrary" or "TestCommon");
        Assert.Contains(packages, p => p.Name == "Newtonsoft.Json" && p.Version == "13.0.1" && p.Purl == "pkg:nuget/Newtonsoft.Json@13.0.1");
    }

    [Fact]
    public void This_test_projects_own_deps_json_lists_its_package_references()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "Registry.Inventory.Tests.deps.json");

        var names = LanguagePackages.ParseDepsJson(File.ReadAllBytes(file), file).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

        // The package references of Registry.Inventory.Tests.csproj and Registry.Vulnerabilities.csproj.
        Assert.Contains("xunit.core", names);
        Assert.Contains("Microsoft.Data.Sqlite.Core", names);
        Assert.Contains("ZstdSharp.Port", names);
        Assert.DoesNotContain("Registry.Vulnerabilities", names);
    }

    [Fact]
    public void A_file_without_libraries_has_no_packages()
    {
        Assert.Empty(LanguagePackages.ParseDepsJson("""{"runtimeTarget":{"name":".NETCoreApp,Version=v8.0"},"targets":{}}"""u8, "/app/x.deps.json"));
    }

    private static List<(string Name, string Version)> Expected(string file)
    {
        using var stream = File.OpenRead(file);
        using var reader = new DependencyContextJsonReader();
        var context = reader.Read(stream);
        return context.CompileLibraries.Cast<Library>().Concat(context.RuntimeLibraries)
            .Where(l => l.Type == "package")
            .Select(l => (l.Name, l.Version))
            .Distinct()
            .ToList();
    }

    private static string DotnetRoot()
    {
        // …/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
    }
}
