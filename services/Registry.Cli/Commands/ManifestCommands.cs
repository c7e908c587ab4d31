using System.CommandLine;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry manifest …</c>: a repository's manifests, their referrers, and soft-deleted ones.</summary>
internal static class ManifestCommands
{
    public static Command Create(CliRuntime cli) => CliRuntime.Group("manifest", "Manifests: list, show, delete, referrers, restore",
        List(cli), Show(cli), Delete(cli), ListReferrers(cli), ListDeleted(cli), Restore(cli));

    private static Command List(CliRuntime cli)
    {
        var repository = CliRuntime.Name("repository", "The repository");
        var (top, orderby) = (RepositoryCommands.Top(), RepositoryCommands.OrderBy());
        return cli.Action(CliRuntime.Command("list", "List a repository's manifests", repository, orderby, top), async (context, cancellationToken) =>
        {
            var name = context.Value(repository);
            var manifests = await context.Client.PagedAsync(
                $"acr/v1/{name}/_manifests{RepositoryCommands.Query(context.Value(top), context.Value(orderby))}",
                "manifests", ImageReference.Scope(name, "metadata_read"), context.Value(top), cancellationToken);
            context.Output.List(manifests, "manifests",
                new("Digest", "digest"), new("Tags", "tags"), new("Media type", "mediaType"), new("Size", "imageSize"), new("Created", "createdTime"));
        });
    }

    private static Command Show(CliRuntime cli)
    {
        var image = CliRuntime.Name("image", "repository:tag or repository@digest");
        return cli.Action(CliRuntime.Command("show", "Show a manifest", image), async (context, cancellationToken) =>
        {
            var reference = ImageReference.ParseImage(context.Value(image));
            using var response = await context.Client.DataAsync(
                HttpMethod.Get, $"v2/{reference.Repository}/manifests/{reference.Reference}", ImageReference.Scope(reference.Repository, "pull"),
                cancellationToken, ImageReference.AcceptManifests);
            context.Output.Object(await RegistryClient.ReadJsonAsync(response, cancellationToken));
        });
    }

    private static Command Delete(CliRuntime cli)
    {
        var image = CliRuntime.Name("image", "repository:tag or repository@digest");
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask" };
        return cli.Action(CliRuntime.Command("delete", "Delete a manifest and every tag on it", image, yes), async (context, cancellationToken) =>
        {
            var reference = ImageReference.ParseImage(context.Value(image));
            if (!context.Value(yes))
            {
                throw new CliException($"deleting {reference} removes the manifest and every tag on it: pass --yes to confirm");
            }

            var digest = await reference.ResolveDigestAsync(context.Client, "pull,delete", cancellationToken);
            using var response = await context.Client.DataAsync(
                HttpMethod.Delete, $"v2/{reference.Repository}/manifests/{digest}", ImageReference.Scope(reference.Repository, "pull,delete"), cancellationToken);
            await RegistryClient.ReadJsonAsync(response, cancellationToken);
            context.Output.Done($"Deleted {reference.Repository}@{digest}.", new JsonObject { ["repository"] = reference.Repository, ["digest"] = digest });
        });
    }

    private static Command ListReferrers(CliRuntime cli)
    {
        var image = CliRuntime.Name("image", "repository:tag or repository@digest");
        var artifactType = new Option<string?>("--artifact-type") { Description = "Only referrers of this artifact type" };
        return cli.Action(CliRuntime.Command("list-referrers", "List the artifacts that refer to a manifest (signatures, SBOMs, scans)", image, artifactType), async (context, cancellationToken) =>
        {
            var reference = ImageReference.ParseImage(context.Value(image));
            var digest = await reference.ResolveDigestAsync(context.Client, "pull", cancellationToken);
            var filter = context.Value(artifactType) is { } type ? "?artifactType=" + Uri.EscapeDataString(type) : string.Empty;
            using var response = await context.Client.DataAsync(
                HttpMethod.Get, $"v2/{reference.Repository}/referrers/{digest}{filter}", ImageReference.Scope(reference.Repository, "pull"), cancellationToken);
            context.Output.List(await RegistryClient.ReadJsonAsync(response, cancellationToken), "manifests",
                new("Digest", "digest"), new("Artifact type", "artifactType"), new("Media type", "mediaType"), new("Size", "size"));
        });
    }

    private static Command ListDeleted(CliRuntime cli)
    {
        var repository = new Option<string?>("--repository") { Description = "Only this repository's" };
        return cli.Action(CliRuntime.Command("list-deleted", "List soft-deleted manifests that can still be restored", repository), async (context, cancellationToken) =>
        {
            var query = context.Value(repository) is { } name ? "?repository=" + Uri.EscapeDataString(name) : string.Empty;
            context.Output.List(await context.Client.ManageAsync(HttpMethod.Get, "/deleted" + query, cancellationToken: cancellationToken), "value",
                new("Repository", "repository"), new("Digest", "digest"), new("Tags", "tags"), new("Deleted", "deletedAt"), new("Expires", "expiresAt"));
        });
    }

    private static Command Restore(CliRuntime cli)
    {
        var image = CliRuntime.Name("image", "repository@digest, or repository:tag (the manifest the tag was on)");
        var force = new Option<bool>("--force") { Description = "Move tags that now point elsewhere back to the restored manifest" };
        return cli.Action(CliRuntime.Command("restore", "Restore a soft-deleted manifest and its tags", image, force), async (context, cancellationToken) =>
        {
            var reference = ImageReference.ParseImage(context.Value(image));
            var body = Resources.Given(
                ("repository", reference.Repository), ("digest", reference.Digest), ("tag", reference.Tag), ("force", context.Value(force)));
            context.Output.Object(await context.Client.ManageAsync(HttpMethod.Post, "/deleted/restore", body, cancellationToken));
        });
    }
}
