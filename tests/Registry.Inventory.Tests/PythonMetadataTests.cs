using Registry.Inventory.Tests.Support;
using Registry.Vulnerabilities.Inventory;

namespace Registry.Inventory.Tests;

/// <summary>
/// Python's <c>*.dist-info/METADATA</c> and <c>*.egg-info/PKG-INFO</c> against Python itself: Oracles/python_metadata.py
/// lists every distribution <c>importlib.metadata</c> finds in this machine's site directories, with the name and version
/// Python reads from the file and the name normalised as PEP 503 writes it (<c>re.sub(r"[-_.]+", "-", name).lower()</c>).
/// </summary>
public sealed class PythonMetadataTests
{
    [FactRequiring("python3")]
    public void Every_installed_distribution_reads_as_python_reads_it()
    {
        var directories = new List<string> { "/usr/lib/python3/dist-packages" };
        directories.AddRange(Tool.Run("python3", ["-c", "import site; print('\\n'.join(site.getsitepackages()))"]).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var output = Tool.Run("python3", [TestData.Oracle("python_metadata.py"), .. directories.Where(Directory.Exists).Distinct()]);
        var expected = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')).ToList();
        if (expected.Count == 0)
        {
            return; // no Python distribution on this machine
        }

        var wrong = new List<string>();
        foreach (var (file, name, version) in expected.Select(e => (e[0], e[1], e[2])))
        {
            var package = LanguagePackages.ParsePythonMetadata(File.ReadAllText(file), file);
            if (package is null || package.Name != name || package.Version != version || package.Type != PackageTypes.PyPI
                || package.Purl != PurlSpec.Build("pypi", null, name, version))
            {
                wrong.Add($"{file}: expected {name} {version}, got {package?.Name} {package?.Version} {package?.Purl}");
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {expected.Count} differ:\n{string.Join('\n', wrong.Take(10))}");
    }

    [FactRequiring("python3")]
    public void Pep_503_normalisation_and_header_reading_match_python_for_awkward_files()
    {
        var directory = Directory.CreateTempSubdirectory("py-site-");
        try
        {
            // A wheel's METADATA (2.1) with a body, an egg-info PKG-INFO (1.1) with an indented multi-line description,
            // and names that need PEP 503 normalisation.
            Write(directory, "Foo_Bar.baz-1.0.dist-info/METADATA", """
                Metadata-Version: 2.1
                Name: Foo_Bar.baz
                Version: 1.0.post2
                Summary: A name with every separator
                License: MIT
                Classifier: Name: not the name
                Description-Content-Type: text/markdown

                Name: body-is-not-a-header
                Version: 9.9
                """);
            Write(directory, "Old.Style__Pkg-2.3.egg-info/PKG-INFO", """
                Metadata-Version: 1.1
                Name: Old.Style__Pkg
                Version: 2.3rc1
                Summary: legacy
                Home-page: https://example.org
                License: BSD
                Description: A long description
                        Name: indented continuation, not a header
                        |
                        More text.
                Platform: UNKNOWN

                """);
            Write(directory, "ruamel.yaml.clib-0.2.8.dist-info/METADATA", "Metadata-Version: 2.1\r\nName: ruamel.yaml.clib\r\nVersion: 0.2.8\r\n\r\nbody\r\n");

            var output = Tool.Run("python3", [TestData.Oracle("python_metadata.py"), directory.FullName]);
            var expected = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')).ToList();
            Assert.Equal(3, expected.Count);

            foreach (var (file, name, version) in expected.Select(e => (e[0], e[1], e[2])))
            {
                var package = LanguagePackages.ParsePythonMetadata(File.ReadAllText(file), file);
                Assert.NotNull(package);
                Assert.Equal((name, version), (package.Name, package.Version));
                Assert.Equal(PurlSpec.Build("pypi", null, name, version), package.Purl);
            }

            Assert.Contains(expected, e => e[1] == "foo-bar-baz");
            Assert.Contains(expected, e => e[1] == "old-style-pkg");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("Metadata-Version: 2.1\nSummary: no name\nVersion: 1.0\n")]
    [InlineData("Metadata-Version: 2.1\nName: noversion\n")]
    [InlineData("")]
    [InlineData("\nName: after-the-headers\nVersion: 1.0\n")]
    public void Without_name_or_version_in_the_headers_there_is_no_package(string text)
    {
        Assert.Null(LanguagePackages.ParsePythonMetadata(text, "/usr/lib/python3/site-packages/x.dist-info/METADATA"));
    }

    [Fact]
    public void The_license_header_is_kept()
    {
        var package = LanguagePackages.ParsePythonMetadata("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n", "/x/METADATA");

        Assert.NotNull(package);
        Assert.Equal("Apache 2.0", package.License);
        Assert.Equal("pkg:pypi/requests@2.31.0", package.Purl);
    }

    private static void Write(DirectoryInfo root, string relative, string text)
    {
        var path = Path.Combine(root.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
