using System.Globalization;
using System.Text.Json;
using Registry.Vulnerabilities.Osv;
using Registry.Vulnerabilities.Tests.Support;

namespace Registry.Vulnerabilities.Tests;

/// <summary>CVSS v3.0/v3.1 base scores against published scores, and the qualitative rating scale (CVSS v3.1 §5).</summary>
public sealed class CvssTests
{
    /// <summary>
    /// Published base scores: FIRST's CVSS v3.x examples and the NVD scores of well-known CVEs, then base vectors with the
    /// scores listed in RedHatProductSecurity/cvss tests/vectors_simple3 and tests/vectors_simple31.
    /// </summary>
    public static TheoryData<string, double> Published => new()
    {
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0 },
        { "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1 },
        { "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8 },
        { "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9 },
        { "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8 },
        // vectors_simple31
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:L/A:L", 9.9 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:L/A:N", 9.3 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N", 8.6 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:L", 8.3 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:N", 7.2 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N", 0.0 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:L", 9.4 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", 9.1 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:L", 8.6 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N", 8.2 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", 7.3 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", 6.5 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:N/A:N", 7.4 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:L", 7.1 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:N/A:N", 4.7 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:L/A:L", 7.6 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:L", 6.3 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N", 5.4 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N", 4.3 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:N", 9.6 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:L/A:L", 9.1 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:L/A:N", 8.5 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N", 7.7 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:L", 7.4 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:N/A:N", 5.0 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:L/A:L", 7.6 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L", 6.3 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H", 9.0 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:L", 8.9 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:N", 8.7 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:N/A:N", 4.1 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:H/I:H/A:H", 8.0 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:H/I:N/A:N", 5.7 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N", 3.5 },
        { "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 9.1 },
        { "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:L", 9.0 },
        { "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:L/A:L", 6.6 },
        { "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2 },
        { "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:L/A:L", 6.0 },
        { "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:N/A:N", 4.9 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:N/S:C/C:H/I:L/A:N", 5.6 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:N/S:C/C:H/I:N/A:N", 4.8 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:N/S:C/C:L/I:H/A:H", 7.0 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:N/S:C/C:L/I:L/A:L", 4.5 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:N/S:C/C:L/I:N/A:N", 2.1 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H", 6.3 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:N/S:U/C:L/I:L/A:L", 3.8 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:N/S:U/C:N/I:N/A:L", 1.8 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:R/S:C/C:H/I:H/A:H", 6.9 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:R/S:C/C:L/I:N/A:N", 1.9 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:R/S:U/C:H/I:N/A:N", 3.9 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:R/S:U/C:L/I:L/A:N", 2.8 },
        { "CVSS:3.1/AV:P/AC:H/PR:L/UI:R/S:U/C:N/I:N/A:L", 1.7 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:N/S:C/C:H/I:H/A:H", 6.9 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H", 6.1 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:N/S:U/C:L/I:L/A:L", 3.6 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:N/S:U/C:N/I:N/A:L", 1.6 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:C/C:H/I:H/A:H", 6.8 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:C/C:L/I:L/A:N", 3.2 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:C/C:N/I:N/A:L", 1.8 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:L", 5.6 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:L/A:L", 3.5 },
        // vectors_simple3
        { "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0 },
        { "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:L/A:L", 9.9 },
        { "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8 },
        { "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8 },
        { "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", 7.3 },
        { "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N", 9.3 },
        { "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1 },
        { "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N", 4.3 },
        { "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:L/A:L", 9.1 },
        { "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:N/A:N", 5.0 },
        { "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N", 5.4 },
        { "CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H", 9.0 },
        { "CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:L", 6.5 },
        { "CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:N", 4.6 },
        { "CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:U/C:N/I:N/A:L", 3.5 },
        { "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:L/A:N", 7.6 },
        { "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:L/A:L", 6.6 },
        { "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:N/A:N", 4.1 },
        { "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2 },
        { "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:N/A:N", 4.9 },
    };

    [Theory]
    [MemberData(nameof(Published))]
    public void Base_score_equals_the_published_score(string vector, double score) =>
        Assert.Equal(score, Cvss.BaseScore(vector));

    [Fact]
    public void Base_score_ignores_temporal_and_environmental_metrics_and_metric_order()
    {
        Assert.Equal(9.8, Cvss.BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C"));
        Assert.Equal(9.8, Cvss.BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C/CR:L/IR:L/AR:L/MAV:P"));
        Assert.Equal(9.8, Cvss.BaseScore("CVSS:3.1/S:U/C:H/I:H/A:H/AV:N/AC:L/PR:N/UI:N"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("CVSS:3.1")]
    [InlineData("CVSS:3.1/")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")]
    [InlineData("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:X/C:H/I:H/A:H")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A")]
    [InlineData("AV:N/AC:L/Au:N/C:P/I:P/A:P")]
    [InlineData("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")]
    [InlineData("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P")]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N")]
    [InlineData("cvss:3.1/av:n/ac:l/pr:n/ui:n/s:u/c:h/i:h/a:h")]
    [InlineData("not a vector")]
    public void Invalid_or_other_version_vectors_have_no_base_score(string vector) =>
        Assert.Null(Cvss.BaseScore(vector));

    [Theory]
    [InlineData(0.0, "NONE")]
    [InlineData(0.1, "LOW")]
    [InlineData(3.9, "LOW")]
    [InlineData(4.0, "MEDIUM")]
    [InlineData(6.9, "MEDIUM")]
    [InlineData(7.0, "HIGH")]
    [InlineData(8.9, "HIGH")]
    [InlineData(9.0, "CRITICAL")]
    [InlineData(10.0, "CRITICAL")]
    public void Qualitative_rating_follows_the_CVSS_v3_table(double score, string rating) =>
        Assert.Equal(rating, Cvss.SeverityOf(score));

    /// <summary>
    /// Every CVSS v3 rating with a vector and a numeric score in the shared CycloneDX reports (Trivy golden files: NVD's and
    /// Red Hat's published scores); NVD's severity word is the rating of its score.
    /// </summary>
    [Fact]
    public void Scores_published_beside_their_vectors_in_the_test_data_match()
    {
        var checkedRatings = 0;
        foreach (var file in Directory.EnumerateFiles(TestData.PathOf("formats"), "*.json"))
        {
            var json = TestData.Json(file);
            if (!json.TryGetProperty("vulnerabilities", out var vulnerabilities))
            {
                continue;
            }

            foreach (var vulnerability in vulnerabilities.EnumerateArray())
            {
                if (!vulnerability.TryGetProperty("ratings", out var ratings))
                {
                    continue;
                }

                foreach (var rating in ratings.EnumerateArray())
                {
                    if (!rating.TryGetProperty("vector", out var vector) || !rating.TryGetProperty("score", out var score)
                        || !(vector.GetString() ?? "").StartsWith("CVSS:3", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var id = vulnerability.GetProperty("id").GetString();
                    Assert.True(score.GetDouble() == Cvss.BaseScore(vector.GetString()!), $"{id} {vector.GetString()}: published {score.GetDouble()}, computed {Cvss.BaseScore(vector.GetString()!)}");
                    if (rating.GetProperty("source").GetProperty("name").GetString() == "nvd")
                    {
                        Assert.Equal(rating.GetProperty("severity").GetString()!.ToUpperInvariant(), Cvss.SeverityOf(score.GetDouble()));
                    }

                    checkedRatings++;
                }
            }
        }

        Assert.True(checkedRatings >= 5, $"only {checkedRatings} CVSS v3 ratings with scores found");
    }

    /// <summary>
    /// GitHub's and Bitnami's advisories state a severity word (database_specific.severity) derived from their CVSS v3
    /// vector: the rating of the computed base score must be that word (GitHub's MODERATE is CVSS's MEDIUM).
    /// </summary>
    [Fact]
    public void Severity_words_of_the_advisories_match_the_rating_of_their_CVSS_v3_vectors()
    {
        var checkedAdvisories = 0;
        foreach (var (relative, full) in TestData.OsvFiles())
        {
            var json = TestData.Json(full);
            if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("id", out _)
                || !json.TryGetProperty("database_specific", out var specific) || specific.ValueKind != JsonValueKind.Object
                || !specific.TryGetProperty("severity", out var word) || word.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            var advisory = OsvJson.Parse(File.ReadAllBytes(full));
            var vectors = advisory.Severity.Concat(advisory.Affected.SelectMany(a => a.Severity))
                .Where(s => s.Type == "CVSS_V3")
                .Select(s => s.Score)
                .Distinct(StringComparer.Ordinal)
                .ToList();
            if (vectors.Count != 1)
            {
                continue;
            }

            var expected = word.GetString()!.ToUpperInvariant() switch { "MODERATE" => "MEDIUM", var w => w };
            var score = Cvss.BaseScore(vectors[0]);
            Assert.True(score is not null, $"{relative}: no score for {vectors[0]}");
            Assert.True(expected == Cvss.SeverityOf(score.Value), $"{relative}: {vectors[0]} scores {score.Value.ToString(CultureInfo.InvariantCulture)} ({Cvss.SeverityOf(score.Value)}), the advisory says {expected}");
            checkedAdvisories++;
        }

        Assert.True(checkedAdvisories >= 10, $"only {checkedAdvisories} advisories with a severity word and a CVSS v3 vector");
    }
}
