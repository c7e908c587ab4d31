using Registry.Vulnerabilities.Versions;

namespace Registry.Vulnerabilities.Osv;

/// <summary>
/// Whether a package version falls in an advisory's affected ranges, by the OSV schema's evaluation: events sorted by
/// version (<c>introduced: "0"</c> first); <c>introduced</c> opens a range, <c>fixed</c> (exclusive) and
/// <c>last_affected</c> (inclusive) and <c>limit</c> close it; the explicit <c>versions</c> list also counts. <c>ECOSYSTEM</c>
/// ranges use the package ecosystem's ordering, <c>SEMVER</c> ranges semantic versioning; <c>GIT</c> ranges name
/// commits and are not evaluated against package versions.
/// </summary>
public static class OsvMatching
{
    public static bool IsAffected(OsvAffected affected, string version)
    {
        ArgumentNullException.ThrowIfNull(affected);
        ArgumentNullException.ThrowIfNull(version);
        if (affected.Versions.Contains(version, StringComparer.Ordinal))
        {
            return true;
        }

        return affected.Ranges.Any(range => Ordering(affected, range) is { } ordering && InRange(range, version, ordering));
    }

    /// <summary>The version that fixes the range <paramref name="version"/> is in; null when it is not affected or no fix exists.</summary>
    public static string? FixedVersion(OsvAffected affected, string version)
    {
        ArgumentNullException.ThrowIfNull(affected);
        ArgumentNullException.ThrowIfNull(version);
        foreach (var range in affected.Ranges)
        {
            if (Ordering(affected, range) is not { } ordering || !InRange(range, version, ordering))
            {
                continue;
            }

            // The first fix above the installed version, in version order.
            var fix = range.Events
                .Select(e => e.Fixed)
                .OfType<string>()
                .Where(fixedVersion => ordering.Compare(fixedVersion, version) > 0)
                .Order(Comparer(ordering))
                .FirstOrDefault();
            if (fix is not null)
            {
                return fix;
            }
        }

        return null;
    }

    private static IVersionOrdering? Ordering(OsvAffected affected, OsvRange range) => range.Type switch
    {
        "SEMVER" => VersionOrderings.SemVer,
        "ECOSYSTEM" => VersionOrderings.ForEcosystem(affected.Package?.Ecosystem),
        _ => null,
    };

    private static bool InRange(OsvRange range, string version, IVersionOrdering ordering)
    {
        var events = range.Events
            .Select(e => (Event: e, Version: e.Introduced ?? e.Fixed ?? e.LastAffected ?? e.Limit))
            .Where(e => e.Version is not null)
            .ToList();
        events.Sort((a, b) =>
        {
            var aZero = a.Event.Introduced == "0";
            var bZero = b.Event.Introduced == "0";
            return aZero || bZero ? (aZero == bZero ? 0 : aZero ? -1 : 1) : ordering.Compare(a.Version!, b.Version!);
        });

        var vulnerable = false;
        foreach (var (e, at) in events)
        {
            if (e.Introduced is not null)
            {
                if (e.Introduced == "0" || ordering.Compare(version, at!) >= 0)
                {
                    vulnerable = true;
                }
            }
            else if (e.Fixed is not null || e.Limit is not null)
            {
                if (ordering.Compare(version, at!) >= 0)
                {
                    vulnerable = false;
                }
            }
            else if (e.LastAffected is not null && ordering.Compare(version, at!) > 0)
            {
                vulnerable = false;
            }
        }

        return vulnerable;
    }

    private static Comparer<string> Comparer(IVersionOrdering ordering) => Comparer<string>.Create(ordering.Compare);
}
