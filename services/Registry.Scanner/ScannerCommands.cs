using Registry.Scanner.Database;

namespace Registry.Scanner;

/// <summary>
/// The operator's command beside the API: <c>import-vulnerabilities &lt;file&gt;…</c> imports OSV files (JSON or zip) into
/// the database in storage with the host's own settings, then exits. Running scanners load the new version within
/// <c>Scanner:DatabaseRefreshInterval</c> and one of them rescans every image scanned before.
/// </summary>
public static class ScannerCommands
{
    public const string ImportVulnerabilities = "import-vulnerabilities";

    /// <summary>
    /// The command and its files when <paramref name="args"/> begin with it, else null; <paramref name="hostArgs"/> is
    /// what is left for the host's own configuration (<c>--data-dir</c>, <c>--Storage:Driver=…</c>).
    /// </summary>
    public static ImportCommand? Parse(string[] args, out string[] hostArgs)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is not [ImportVulnerabilities, ..])
        {
            hostArgs = args;
            return null;
        }

        var files = args.Skip(1).TakeWhile(argument => !argument.StartsWith("--", StringComparison.Ordinal)).ToList();
        hostArgs = args.Skip(1 + files.Count).ToArray();
        return new ImportCommand(files);
    }
}

/// <summary>Imports OSV files into the vulnerability database of the host's storage.</summary>
public sealed class ImportCommand(IReadOnlyList<string> files)
{
    public async Task<int> RunAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (files.Count == 0)
        {
            await Console.Error.WriteLineAsync($"usage: {ScannerCommands.ImportVulnerabilities} <osv.json|osv.zip>… [host options such as --data-dir]");
            return 2;
        }

        var database = app.Services.GetRequiredService<VulnerabilityDatabase>();
        foreach (var file in files)
        {
            if (!File.Exists(file))
            {
                await Console.Error.WriteLineAsync($"{file}: no such file");
                return 1;
            }

            try
            {
                var content = await File.ReadAllBytesAsync(file);
                var record = await database.ImportAsync(content, file.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? "application/zip" : "application/json", CancellationToken.None);
                Console.WriteLine($"{file}: imported; database version {record.Version}, {database.Index.Count} advisories");
            }
            catch (Security.ManagementException ex)
            {
                await Console.Error.WriteLineAsync($"{file}: {ex.Message}");
                return 1;
            }
        }

        return 0;
    }
}
