using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry import</c>: copies an image from another registry, server side, showing the operation's progress.</summary>
internal static class ImportCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(300);

    public static Command Create(CliRuntime cli)
    {
        var source = new Option<string>("--source") { Description = "The image to copy: <registry>/<repository>:<tag> or …@<digest> (the registry an http(s) URL for plain HTTP)", Required = true };
        var images = CliRuntime.Many("--image", "Target repository:tag (repeatable; default: the source's)", "-t");
        var untagged = CliRuntime.Many("--repository", "Target repository stored by digest only (repeatable)");
        var username = new Option<string?>("--username", "-u") { Description = "User name at the source registry" };
        var password = new Option<string?>("--password", "-p") { Description = "Password at the source registry" };
        var force = new Option<bool>("--force") { Description = "Overwrite target tags that point elsewhere" };
        var noWait = new Option<bool>("--no-wait") { Description = "Print the operation and return at once" };
        var command = CliRuntime.Command("import", "Import an image from another registry", source, images, untagged, username, password, force, noWait);
        return cli.Action(command, async (context, cancellationToken) =>
        {
            var (registryUri, sourceImage) = SplitSource(context.Value(source)!);
            var body = Resources.Given(
                ("source", Resources.Given(
                    ("registryUri", registryUri),
                    ("sourceImage", sourceImage),
                    ("credentials", context.Value(username) is { } user ? new JsonObject { ["username"] = user, ["password"] = context.Value(password) } : null))),
                ("targetTags", Resources.Strings(context.Value(images))),
                ("untaggedTargetRepositories", Resources.Strings(context.Value(untagged))),
                ("mode", context.Value(force) ? "Force" : "NoForce"));
            var operation = await context.Client.ManageAsync(HttpMethod.Post, "/import", body, cancellationToken);
            if (!context.Value(noWait))
            {
                var id = operation?["id"]?.GetValue<string>() ?? throw new CliException("the server answered the import without an operation id");
                using var progress = context.Progress($"importing {sourceImage}");
                while (operation?["status"]?.GetValue<string>() == "Running")
                {
                    progress.Report(Describe(operation["progress"]));
                    await Task.Delay(PollInterval, cancellationToken);
                    operation = await context.Client.ManageAsync(HttpMethod.Get, $"/import/operations/{id}", cancellationToken: cancellationToken);
                }
            }

            if (operation?["status"]?.GetValue<string>() == "Failed")
            {
                throw new CliException($"import of {sourceImage} failed: {operation["error"]?["code"]}: {operation["error"]?["message"]}");
            }

            context.Output.Object(operation);
            return 0;
        });
    }

    /// <summary><c>registry.example.com/library/busybox:1.36</c> → (<c>registry.example.com</c>, <c>library/busybox:1.36</c>); a URL keeps its scheme.</summary>
    public static (string RegistryUri, string Image) SplitSource(string source)
    {
        var scheme = source.IndexOf("://", StringComparison.Ordinal);
        var start = scheme < 0 ? 0 : scheme + 3;
        var slash = source.IndexOf('/', start);
        var host = slash < 0 ? string.Empty : source[start..slash];
        if (slash < 0 || (scheme < 0 && !host.Contains('.', StringComparison.Ordinal) && !host.Contains(':', StringComparison.Ordinal) && host != "localhost"))
        {
            throw new CliException($"--source '{source}' names no registry: use <registry>/<repository>:<tag>, e.g. docker.io/library/busybox:1.36");
        }

        return (source[..slash], source[(slash + 1)..]);
    }

    private static string Describe(JsonNode? progress) => progress is null ? string.Empty : string.Create(CultureInfo.InvariantCulture,
        $"{progress["manifests"]}/{progress["manifestsTotal"]} manifests, {progress["blobsCopied"]} blobs copied ({(progress["bytesCopied"]?.GetValue<long>() ?? 0) / 1024} KiB), {progress["blobsExisting"]} already here");
}
