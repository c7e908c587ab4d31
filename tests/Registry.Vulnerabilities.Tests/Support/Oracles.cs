using System.Text;
using NuGet.Versioning;

namespace Registry.Vulnerabilities.Tests.Support;

/// <summary>
/// The ecosystems' own implementations, asked about many pairs at once (one process per batch): the sign of
/// <c>compare(left, right)</c>, or null where the oracle rejects a version as invalid.
/// </summary>
internal static class Oracles
{
    /// <summary><c>dpkg --compare-versions</c> (deb-version(7)), the machine's dpkg.</summary>
    public static int?[] Dpkg(IReadOnlyList<(string Left, string Right)> pairs)
    {
        const string Script = """
            while IFS= read -r a && IFS= read -r b; do
              dpkg --compare-versions "$a" lt "$b" 2>/dev/null; r=$?
              if [ "$r" -eq 0 ]; then echo -1; continue; fi
              if [ "$r" -ne 1 ]; then echo X; continue; fi
              dpkg --compare-versions "$a" eq "$b" 2>/dev/null; r=$?
              if [ "$r" -eq 0 ]; then echo 0; elif [ "$r" -eq 1 ]; then echo 1; else echo X; fi
            done
            """;
        var input = new StringBuilder();
        foreach (var (left, right) in pairs)
        {
            input.Append(left).Append('\n').Append(right).Append('\n');
        }

        return Parse(Tool.Run("bash", ["-c", Script], input.ToString()), pairs.Count, "dpkg");
    }

    /// <summary>rpm's own comparison through its embedded Lua (<c>rpm.vercmp</c>, which parses <c>[epoch:]version[-release]</c>).</summary>
    public static int?[] Rpm(IReadOnlyList<(string Left, string Right)> pairs)
    {
        const string Lua = """%{lua: for line in io.lines() do local a, b = line:match("^(.-)\t(.*)$"); io.write(rpm.vercmp(a, b), "\n") end}""";
        return Parse(Tool.Run("rpm", ["--eval", Lua], Tabbed(pairs)), pairs.Count, "rpm");
    }

    /// <summary>npm's own <c>semver</c> module (as bundled with the machine's npm), <c>semver.compare</c> in strict mode.</summary>
    public static int?[] NpmSemver(IReadOnlyList<(string Left, string Right)> pairs)
    {
        const string Script = """
            const path = require('path');
            const candidates = [
              path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'semver'),
              '/usr/lib/node_modules/npm/node_modules/semver',
              '/usr/share/nodejs/semver',
            ];
            let semver;
            for (const c of candidates) { try { semver = require(c); break; } catch (e) { } }
            if (!semver) { console.error('npm semver module not found'); process.exit(3); }
            const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(l => l.length > 0);
            const out = [];
            for (const l of lines) {
              const [a, b] = l.split('\t');
              if (semver.valid(a) === null || semver.valid(b) === null) { out.push('X'); continue; }
              out.push(String(semver.compare(a, b)));
            }
            process.stdout.write(out.join('\n') + '\n');
            """;
        return Parse(Tool.Run("node", ["-e", Script], Tabbed(pairs)), pairs.Count, "npm semver");
    }

    /// <summary>PyPA's <c>packaging.version.Version</c> (the reference implementation of PEP 440; pip vendors it).</summary>
    public static int?[] Pep440(IReadOnlyList<(string Left, string Right)> pairs)
    {
        const string Script = """
            import sys
            try:
                from packaging.version import Version, InvalidVersion
            except ImportError:
                from pip._vendor.packaging.version import Version, InvalidVersion
            out = []
            for line in sys.stdin.read().split('\n'):
                if not line:
                    continue
                a, b = line.split('\t')
                try:
                    x, y = Version(a), Version(b)
                except InvalidVersion:
                    out.append('X')
                    continue
                out.append('-1' if x < y else '1' if x > y else '0')
            sys.stdout.write('\n'.join(out) + '\n')
            """;
        return Parse(Tool.Run("python3", ["-c", Script], Tabbed(pairs)), pairs.Count, "packaging");
    }

    /// <summary>NuGet's own NuGet.Versioning (<see cref="VersionComparer.Default"/>: metadata ignored, labels case-insensitive).</summary>
    public static int?[] NuGet(IReadOnlyList<(string Left, string Right)> pairs) =>
        [.. pairs.Select(pair => NuGetVersion.TryParse(pair.Left, out var left) && NuGetVersion.TryParse(pair.Right, out var right)
            ? Math.Sign(VersionComparer.Default.Compare(left, right))
            : (int?)null)];

    private static string Tabbed(IReadOnlyList<(string Left, string Right)> pairs)
    {
        var input = new StringBuilder();
        foreach (var (left, right) in pairs)
        {
            if (left.Contains('\t', StringComparison.Ordinal) || left.Contains('\n', StringComparison.Ordinal) || right.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException($"a version with a tab or newline cannot be sent to an oracle: {left} / {right}");
            }

            input.Append(left).Append('\t').Append(right).Append('\n');
        }

        return input.ToString();
    }

    private static int?[] Parse(string output, int expected, string oracle)
    {
        var lines = Tool.Lines(output);
        if (lines.Length != expected)
        {
            throw new InvalidOperationException($"{oracle} answered {lines.Length} lines for {expected} pairs: {output[..Math.Min(output.Length, 500)]}");
        }

        return [.. lines.Select(line => line == "X" ? (int?)null : Math.Sign(int.Parse(line, System.Globalization.CultureInfo.InvariantCulture)))];
    }
}
