using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Registry.Cli.Infrastructure;

namespace Registry.Cli.Commands;

/// <summary><c>registry repository …</c>: ACR's repository API (<c>/acr/v1</c>) with bearer tokens.</summary>
internal static class RepositoryCommands
{
    private const string Catalog = "registry:catalog:*";

    public static Command Create(CliRuntime cli) => CliRuntime.Group("repository", "Repositories, their tags and their locks",
        List(cli), ShowTags(cli), Show(cli), Delete(cli), Untag(cli), Update(cli));

    /// <summary><c>--top N</c>: at most N items.</summary>
    public static Option<int?> Top() => new("--top") { Description = "At most this many items" };

    /// <summary><c>--orderby time_desc|time_asc</c> as the ACR API spells it (<c>timedesc</c>, <c>timeasc</c>), or null.</summary>
    public static Option<string?> OrderBy()
    {
        var option = new Option<string?>("--orderby") { Description = "Order by last update: time_desc or time_asc" };
        option.AcceptOnlyFromAmong("time_desc", "time_asc");
        return option;
    }

    /// <summary>The query of a paged ACR list: page size and order.</summary>
    public static string Query(int? top, string? orderby)
    {
        var query = string.Create(CultureInfo.InvariantCulture, $"?n={Math.Clamp(top ?? 100, 1, 100)}");
        return orderby is null ? query : query + "&orderby=" + orderby.Replace("_", string.Empty, StringComparison.Ordinal);
    }

    private static Command List(CliRuntime cli)
    {
        var top = Top();
        return cli.Action(CliRuntime.Command("list", "List the repositories", top), async (context, cancellationToken) =>
        {
            JsonObject list;
            try
            {
                list = await context.Client.PagedAsync($"acr/v1/_catalog{Query(context.Value(top), null)}", "repositories", Catalog, context.Value(top), cancellationToken);
            }
            catch (CliException ex) when (ex.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
            {
                // A server without the ACR catalog: the OCI one answers the same shape.
                list = await context.Client.PagedAsync($"v2/_catalog{Query(context.Value(top), null)}", "repositories", Catalog, context.Value(top), cancellationToken);
            }

            context.Output.List(list, "repositories", new Column("Repository", string.Empty));
        });
    }

    private static Command ShowTags(CliRuntime cli)
    {
        var repository = CliRuntime.Name("repository", "The repository");
        var (top, orderby) = (Top(), OrderBy());
        var detail = new Option<bool>("--detail") { Description = "Show each tag's digest, times, size and locks" };
        return cli.Action(CliRuntime.Command("show-tags", "List a repository's tags", repository, orderby, top, detail), async (context, cancellationToken) =>
        {
            var name = context.Value(repository);
            var tags = await context.Client.PagedAsync(
                $"acr/v1/{name}/_tags{Query(context.Value(top), context.Value(orderby))}", "tags", ImageReference.Scope(name, "metadata_read"), context.Value(top), cancellationToken);
            Column[] columns = context.Value(detail)
                ? [new("Tag", "name"), new("Digest", "digest"), new("Created", "createdTime"), new("Updated", "lastUpdateTime"),
                   new("Write", "changeableAttributes.writeEnabled"), new("Delete", "changeableAttributes.deleteEnabled"), new("Pulls", "pullCount")]
                : [new("Tag", "name")];
            context.Output.List(tags, "tags", columns);
        });
    }

    private static Command Show(CliRuntime cli)
    {
        var target = CliRuntime.Name("name", "repository, repository:tag or repository@digest");
        return cli.Action(CliRuntime.Command("show", "Show the attributes of a repository, a tag or a manifest", target), async (context, cancellationToken) =>
        {
            var image = ImageReference.Parse(context.Value(target));
            context.Output.Object(await context.Client.DataJsonAsync(
                HttpMethod.Get, image.AcrPath, ImageReference.Scope(image.Repository, "metadata_read"), cancellationToken));
        });
    }

    private static Command Delete(CliRuntime cli)
    {
        var repository = CliRuntime.Name("repository", "The repository to delete with all its tags and manifests");
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask" };
        return cli.Action(CliRuntime.Command("delete", "Delete a repository: its manifests, tags and referrers", repository, yes), async (context, cancellationToken) =>
        {
            var name = context.Value(repository);
            if (!context.Value(yes))
            {
                throw new CliException($"deleting repository '{name}' removes all its manifests and tags: pass --yes to confirm");
            }

            var response = await context.Client.DataJsonAsync(HttpMethod.Delete, $"acr/v1/{name}", ImageReference.Scope(name, "delete"), cancellationToken);
            var manifests = (response?["manifestsDeleted"] as JsonArray)?.Count ?? 0;
            var tags = (response?["tagsDeleted"] as JsonArray)?.Count ?? 0;
            context.Output.Done($"Deleted repository '{name}': {manifests} manifest(s), {tags} tag(s).", response);
        });
    }

    private static Command Untag(CliRuntime cli)
    {
        var image = CliRuntime.Name("image", "repository:tag");
        return cli.Action(CliRuntime.Command("untag", "Remove a tag (the manifest stays)", image), async (context, cancellationToken) =>
        {
            var reference = ImageReference.ParseImage(context.Value(image));
            if (reference.Tag is null)
            {
                throw new CliException($"'{reference}' names no tag: use repository:tag");
            }

            var response = await context.Client.DataJsonAsync(HttpMethod.Delete, reference.AcrPath, ImageReference.Scope(reference.Repository, "delete"), cancellationToken);
            context.Output.Done($"Untagged {reference}.", response);
        });
    }

    private static Command Update(CliRuntime cli)
    {
        var target = new Argument<string?>("name") { Description = "repository, repository:tag or repository@digest", Arity = ArgumentArity.ZeroOrOne };
        var image = new Option<string?>("--image") { Description = "repository:tag or repository@digest (instead of the argument)" };
        var attributes = new[] { "delete", "write", "read", "list" }
            .Select(name => (Property: $"{name}Enabled", Option: CliRuntime.Switch($"--{name}-enabled", $"Whether {name}s are allowed (true|false)")))
            .ToArray();
        var immutable = CliRuntime.Switch("--immutable-tags", "Whether the repository's tags are immutable (true|false)");
        Symbol[] symbols = [target, image, .. attributes.Select(a => a.Option), immutable];
        return cli.Action(CliRuntime.Command("update", "Lock or unlock a repository, a tag or a manifest", symbols), async (context, cancellationToken) =>
        {
            var reference = ImageReference.Parse(context.Value(target) ?? context.Value(image) ?? throw new CliException("name a repository or --image"));
            var body = Resources.Given([.. attributes.Select(a => (a.Property, (JsonNode?)context.Value(a.Option))), ("immutableTags", context.Value(immutable))]);
            if (body.Count == 0)
            {
                throw new CliException("nothing to change: give --delete-enabled, --write-enabled, --read-enabled, --list-enabled or --immutable-tags");
            }

            context.Output.Object(await context.Client.DataJsonAsync(
                HttpMethod.Patch, reference.AcrPath, ImageReference.Scope(reference.Repository, "metadata_write"), cancellationToken, body));
        });
    }
}
