using Registry.Vulnerabilities.Tests.Support;
using Registry.Vulnerabilities.Versions;

namespace Registry.Vulnerabilities.Tests.Versions;

/// <summary>Python's ordering against PEP 440's examples, the <c>packaging</c> test suite and <c>packaging</c> itself.</summary>
public sealed class Pep440OrderingTests
{
    /// <summary>PEP 440, "Summary of permitted suffixes and relative ordering" (with its local-version examples).</summary>
    private static readonly string[] PepSummary =
    [
        "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456",
        "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456",
        "1.0.15", "1.1.dev1",
    ];

    /// <summary>pypa/packaging tests/test_version.py <c>VERSIONS</c>: epoch 0, then the same with epoch 1; strictly ascending.</summary>
    private static readonly string[] PackagingVersions0 =
    [
        "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345",
        "1.0b2-346", "1.0c1.dev456", "1.0c1", "1.0rc2", "1.0c3", "1.0", "1.0.post456.dev34", "1.0.post456", "1.1.dev1",
        "1.2+123abc", "1.2+123abc456", "1.2+abc", "1.2+abc123", "1.2+abc123def", "1.2+1234.abc", "1.2+123456", "1.2.r32+123456",
        "1.2.rev33+123456",
    ];

    [Fact]
    public void Pep_440_summary_of_relative_ordering_holds_in_both_directions() =>
        OrderingAssert.Ascending(VersionOrderings.Pep440, PepSummary);

    [Fact]
    public void Packaging_test_suite_VERSIONS_hold_in_both_directions() =>
        OrderingAssert.Ascending(VersionOrderings.Pep440, [.. PackagingVersions0, .. PackagingVersions0.Select(v => "1!" + v)]);

    [Fact]
    public void Epochs_dominate() =>
        OrderingAssert.Pairs(VersionOrderings.Pep440,
        [
            ("1!0.1", 1, "2.0"), ("1!1.0", 1, "2013.10"), ("0!1.0", 0, "1.0"), ("2!1.0", 1, "1!9.9"), ("1.0", -1, "2!0.1"),
        ], "PEP 440 version epochs");

    [Fact]
    public void Pep_440_normalisation_makes_spellings_equal() =>
        OrderingAssert.Ranked(VersionOrderings.Pep440,
        [
            ["1.0a1", "1.0ALPHA1", "1.0alpha1", "1.0-a1", "1.0.a1", "1.0_a.1", "1.0a01"],
            ["1.0b2", "1.0beta2", "1.0-beta-2", "1.0.b.2"],
            ["1.0rc1", "1.0c1", "1.0pre1", "1.0preview1", "1.0RC1"],
            ["1.0", "1.0.0", "1.0.0.0", "v1.0", "V1.0", "01.0", "1.00", " 1.0 "],
            ["1.0+ubuntu.1", "1.0+ubuntu-1", "1.0+ubuntu_1", "1.0+UBUNTU.1"],
            ["1.0.post0", "1.0.post", "1.0-post", "1.0post0"],
            ["1.0-1", "1.0.post1", "1.0-r1", "1.0rev1", "1.0-post1", "1.0_post_1"],
            ["1.0.1.dev0", "1.0.1.dev", "1.0.1-dev", "1.0.1dev0"],
        ]);

    [Fact]
    public void A_curated_set_agrees_with_pypa_packaging()
    {
        var set = PepSummary
            .Concat(PackagingVersions0)
            .Concat(["3.1", "3.1.1", "3.1.2", "3.2", "3.2.1", "3.3", "3.3.1", "3.3.2", "1!0.1", "2.0", "1.0ALPHA1", "1.0-1", "1.0.0", "1.0c1",
                "1.0.dev0", "1.0a1.post1.dev2", "1.0+local.7", "1.0+local.07", "1.0+LOCAL.7", "v1.0", "0.9", "1.0.0.0.1", "1.0rev2", "10.0", "9.0"])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var pairs = OrderingAssert.AllPairs(set);
        OrderingAssert.Agrees(VersionOrderings.Pep440, pairs, Oracles.Pep440(pairs), "packaging.version.Version", minimumChecked: pairs.Count);
    }
}
