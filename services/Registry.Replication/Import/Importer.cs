using Microsoft.Extensions.Options;
using Registry.Distribution.Core;
using Registry.Distribution.Events;
using Registry.Oci;
using Registry.Security;

namespace Registry.Replication.Import;

/// <summary>
/// ACR's image import: resolves the source manifest and checks the targets while the caller waits (so mistakes get a
/// precise error at once), then copies in the background — blobs first (linked when the registry has them already,
/// else streamed from the source through the upload store, which verifies each digest), child manifests next, the
/// top manifest and its tags last, through the same decorated stores a push uses (so events are raised as for a push).
/// </summary>
internal sealed partial class Importer(
    IBlobStore blobs,
    IUploadStore uploads,
    IManifestStore manifests,
    ImportOperationStore operations,
    IHttpClientFactory clients,
    IHostApplicationLifetime lifetime,
    IOptions<ImportOptions> options,
    TimeProvider time,
    ILogger<Importer> logger)
{
    public const string HttpClientName = "import";

    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <param name="origin">Who asked and through which request: the imported manifests' events carry it.</param>
    public async Task<ImportOperation> StartAsync(string registry, ImportRequest request, EventOrigin origin, CancellationToken cancellationToken)
    {
        var plan = Plan(registry, request);
        var top = await plan.Source.GetManifestAsync(plan.SourceRepository, plan.SourceReference, cancellationToken);
        await CheckTagsAsync(plan, top.Digest, cancellationToken);

        var now = time.GetUtcNow();
        var operation = new ImportOperation
        {
            Id = Guid.NewGuid(),
            Status = ImportStatus.Running,
            Source = new ImportSourceView(plan.Source.BaseUri.ToString().TrimEnd('/'), request.Source!.SourceImage!),
            TargetTags = plan.Tags.Select(target => $"{target.Repository.Name}:{target.Tag}").ToList(),
            UntaggedTargetRepositories = plan.Untagged.Select(repository => repository.Name).ToList(),
            Mode = plan.Mode,
            Digest = top.Digest.ToString(),
            MediaType = top.MediaType,
            Progress = new ImportProgress { ManifestsTotal = 1 + top.Manifest.Manifests.Count },
            CreatedAt = now,
            UpdatedAt = now,
        };
        await operations.SaveAsync(registry, operation, cancellationToken);
        LogStarted(logger, registry, operation.Id, operation.Source.RegistryUri, operation.Source.SourceImage, operation.Digest);
        _ = Task.Run(
            async () =>
            {
                using (origin.Use())
                {
                    await RunAsync(registry, plan, top, operation);
                }
            },
            CancellationToken.None);
        return operation;
    }

    /// <summary>The operation as stored; a running one whose instance stopped updating it reads as failed.</summary>
    public async Task<ImportOperation?> FindAsync(string registry, Guid id, CancellationToken cancellationToken)
    {
        var operation = await operations.FindAsync(registry, id, cancellationToken);
        return operation is { Status: ImportStatus.Running } && time.GetUtcNow() - operation.UpdatedAt > options.Value.StaleAfter
            ? operation with
            {
                Status = ImportStatus.Failed,
                Error = new ImportError("Interrupted", "the instance running the import stopped before it finished; import again (what was copied is kept)"),
            }
            : operation;
    }

    private async Task RunAsync(string registry, ImportPlan plan, SourceManifest top, ImportOperation operation)
    {
        var stopping = lifetime.ApplicationStopping;
        var progress = new ProgressCounter(operation.Progress.ManifestsTotal);
        using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var beating = HeartbeatAsync(registry, operation, progress, heartbeat.Token);
        ImportOperation finished;
        try
        {
            var targets = plan.Tags.Select(target => target.Repository).Concat(plan.Untagged).Distinct().ToList();
            await CopyTreeAsync(plan, top, targets, progress, stopping);
            foreach (var repository in targets)
            {
                var tags = plan.Tags.Where(target => target.Repository == repository).Select(target => target.Tag).ToList();
                await manifests.PutAsync(repository, Reference.Parse(top.Digest.ToString()), top.Content, top.MediaType, tags, stopping);
            }

            Interlocked.Increment(ref progress.Manifests);
            finished = operation with { Status = ImportStatus.Succeeded, Progress = progress.Snapshot() };
            LogSucceeded(logger, registry, operation.Id, progress.BlobsCopied, progress.BlobsExisting, progress.BytesCopied);
        }
        catch (Exception ex)
        {
            var error = ex switch
            {
                OperationCanceledException when stopping.IsCancellationRequested => new ImportError("Interrupted", "the service stopped before the import finished; import again (what was copied is kept)"),
                ManagementException { Status: 502 } => new ImportError("SourceUnavailable", ex.Message),
                ManagementException => new ImportError("SourceInvalid", ex.Message),
                OciException oci => new ImportError(oci.Error.Code, ex.Message),
                _ => new ImportError("Failed", ex.Message),
            };
            finished = operation with { Status = ImportStatus.Failed, Progress = progress.Snapshot(), Error = error };
            LogFailed(logger, registry, operation.Id, error.Code, error.Message, ex);
        }

        await heartbeat.CancelAsync();
        await beating;
        var now = time.GetUtcNow();
        await operations.SaveAsync(registry, finished with { UpdatedAt = now, FinishedAt = now }, CancellationToken.None);
    }

    /// <summary>Stores <paramref name="manifest"/>'s content (children, config, layers) in every target, then the manifest itself by digest — except the top one, which the caller stores with its tags.</summary>
    private async Task CopyTreeAsync(ImportPlan plan, SourceManifest manifest, IReadOnlyList<RepositoryPath> targets, ProgressCounter progress, CancellationToken cancellationToken)
    {
        foreach (var child in manifest.Manifest.Manifests)
        {
            var childManifest = await plan.Source.GetManifestAsync(plan.SourceRepository, Reference.Parse(child.Digest), cancellationToken);
            Interlocked.Add(ref progress.ManifestsTotal, childManifest.Manifest.Manifests.Count);
            await CopyTreeAsync(plan, childManifest, targets, progress, cancellationToken);
            foreach (var repository in targets)
            {
                await manifests.PutAsync(repository, Reference.Parse(childManifest.Digest.ToString()), childManifest.Content, childManifest.MediaType, [], cancellationToken);
            }

            Interlocked.Increment(ref progress.Manifests);
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.ParallelBlobs, CancellationToken = cancellationToken };
        var blobsOf = (manifest.Manifest.Config is { } config ? [config] : Array.Empty<Descriptor>()).Concat(manifest.Manifest.Layers)
            .DistinctBy(blob => blob.Digest, StringComparer.Ordinal);
        await Parallel.ForEachAsync(blobsOf, parallel, (blob, token) => new ValueTask(CopyBlobAsync(plan, blob, targets, progress, token)));
    }

    private async Task CopyBlobAsync(ImportPlan plan, Descriptor blob, IReadOnlyList<RepositoryPath> targets, ProgressCounter progress, CancellationToken cancellationToken)
    {
        var digest = Digest.Parse(blob.Digest);
        var first = targets[0];
        if (await blobs.StatAsync(first, digest, cancellationToken) is not null || await blobs.MountAsync(first, digest, null, cancellationToken) is not null)
        {
            Interlocked.Increment(ref progress.BlobsExisting);
        }
        else
        {
            using var response = await plan.Source.OpenBlobAsync(plan.SourceRepository, digest, cancellationToken);
            if (response is null)
            {
                if (blob.Urls is { Count: > 0 })
                {
                    return; // a foreign (non-distributable) layer: clients fetch it from its URLs, as the manifest says
                }

                throw new ManagementException(StatusCodes.Status502BadGateway, "The source registry could not be used", $"{plan.Source.BaseUri.Authority} does not have blob {digest} that its manifest references");
            }

            var upload = await uploads.StartAsync(first, cancellationToken);
            try
            {
                await using var body = new CountingStream(await response.Content.ReadAsStreamAsync(cancellationToken), count => Interlocked.Add(ref progress.BytesCopied, count));
                await uploads.AppendAsync(first, upload.Id, body, null, cancellationToken);
                await uploads.CompleteAsync(first, upload.Id, digest, cancellationToken);
            }
            catch
            {
                await uploads.CancelAsync(first, upload.Id, CancellationToken.None);
                throw;
            }

            Interlocked.Increment(ref progress.BlobsCopied);
        }

        foreach (var repository in targets.Skip(1))
        {
            if (await blobs.StatAsync(repository, digest, cancellationToken) is null)
            {
                await blobs.MountAsync(repository, digest, first, cancellationToken);
            }
        }
    }

    private async Task HeartbeatAsync(string registry, ImportOperation operation, ProgressCounter progress, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(HeartbeatInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await operations.SaveAsync(registry, operation with { Progress = progress.Snapshot(), UpdatedAt = time.GetUtcNow() }, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            LogHeartbeatFailed(logger, registry, operation.Id, ex);
        }
    }

    /// <summary>NoForce refuses to move an existing tag to another digest; the same digest is not a change.</summary>
    private async Task CheckTagsAsync(ImportPlan plan, Digest digest, CancellationToken cancellationToken)
    {
        if (plan.Mode == ImportModes.Force)
        {
            return;
        }

        foreach (var (repository, tag) in plan.Tags)
        {
            if (await manifests.ResolveAsync(repository, Reference.Parse(tag), cancellationToken) is { } existing && existing.Digest != digest.ToString())
            {
                throw ManagementException.Conflict($"{repository.Name}:{tag} exists already (pointing at {existing.Digest}); import with mode Force to move it to {digest}");
            }
        }
    }

    private ImportPlan Plan(string registry, ImportRequest request)
    {
        if (request.Source is not { } source)
        {
            throw ManagementException.Invalid("'source' is required: {\"registryUri\":\"…\",\"sourceImage\":\"repository:tag\"}");
        }

        if (!string.IsNullOrEmpty(source.ResourceId))
        {
            throw ManagementException.Invalid("'source.resourceId' names an Azure resource; give the source's 'registryUri' (and 'credentials') instead");
        }

        var baseUri = SourceRegistry.ParseRegistryUri(source.RegistryUri)
            ?? throw ManagementException.Invalid($"'source.registryUri' must be host[:port] or an http(s) URL without a path, not '{source.RegistryUri}'");
        if (!TryParseImage(source.SourceImage, out var sourceRepository, out var sourceReference))
        {
            throw ManagementException.Invalid($"'source.sourceImage' must be repository[:tag] or repository@digest, not '{source.SourceImage}'");
        }

        if (source.Credentials is { } credentials && (string.IsNullOrEmpty(credentials.Username) || credentials.Password is null))
        {
            throw ManagementException.Invalid("'source.credentials' needs both 'username' and 'password'");
        }

        var mode = request.Mode ?? ImportModes.NoForce;
        if (mode != ImportModes.NoForce && mode != ImportModes.Force)
        {
            throw ManagementException.Invalid($"'mode' must be '{ImportModes.NoForce}' or '{ImportModes.Force}', not '{request.Mode}'");
        }

        var tags = new List<(RepositoryPath Repository, string Tag)>();
        foreach (var target in request.TargetTags ?? [])
        {
            if (!TryParseImage(target, out var repository, out var reference) || reference.Tag is not { } tag || !target.Contains(':', StringComparison.Ordinal))
            {
                throw ManagementException.Invalid($"each of 'targetTags' must be repository:tag, not '{target}'");
            }

            tags.Add((new RepositoryPath(registry, repository), tag));
        }

        var untagged = new List<RepositoryPath>();
        foreach (var target in request.UntaggedTargetRepositories ?? [])
        {
            if (!OciGrammar.IsRepositoryName(target))
            {
                throw ManagementException.Invalid($"each of 'untaggedTargetRepositories' must be a repository name, not '{target}'");
            }

            untagged.Add(new RepositoryPath(registry, target));
        }

        if (tags.Count == 0 && untagged.Count == 0)
        {
            if (sourceReference.Tag is { } sourceTag)
            {
                tags.Add((new RepositoryPath(registry, sourceRepository), sourceTag));
            }
            else
            {
                untagged.Add(new RepositoryPath(registry, sourceRepository));
            }
        }

        var client = clients.CreateClient(HttpClientName);
        return new ImportPlan(
            new SourceRegistry(client, baseUri, source.Credentials, options.Value.RequestTimeout),
            sourceRepository,
            sourceReference,
            tags.Distinct().ToList(),
            untagged.Distinct().ToList(),
            mode);
    }

    /// <summary><c>repository[:tag]</c> (tag <c>latest</c> when absent, as docker) or <c>repository@digest</c>.</summary>
    internal static bool TryParseImage(string? text, out string repository, out Reference reference)
    {
        repository = string.Empty;
        reference = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var at = text.IndexOf('@', StringComparison.Ordinal);
        var colon = text.LastIndexOf(':');
        var split = at >= 0 ? at : colon > text.LastIndexOf('/') ? colon : -1;
        repository = split < 0 ? text : text[..split];
        var referenceText = split < 0 ? "latest" : text[(split + 1)..];
        if (!OciGrammar.IsRepositoryName(repository))
        {
            return false;
        }

        if (at >= 0)
        {
            if (!Digest.TryParse(referenceText, out var digest))
            {
                return false;
            }

            reference = Reference.Parse(digest.ToString());
            return true;
        }

        if (!OciGrammar.IsTag(referenceText))
        {
            return false;
        }

        reference = Reference.Parse(referenceText);
        return true;
    }

    private sealed record ImportPlan(
        SourceRegistry Source,
        string SourceRepository,
        Reference SourceReference,
        IReadOnlyList<(RepositoryPath Repository, string Tag)> Tags,
        IReadOnlyList<RepositoryPath> Untagged,
        string Mode);

    private sealed class ProgressCounter(int manifestsTotal)
    {
        public int Manifests;
        public int ManifestsTotal = manifestsTotal;
        public int BlobsCopied;
        public int BlobsExisting;
        public long BytesCopied;

        public ImportProgress Snapshot() => new()
        {
            Manifests = Volatile.Read(ref Manifests),
            ManifestsTotal = Volatile.Read(ref ManifestsTotal),
            BlobsCopied = Volatile.Read(ref BlobsCopied),
            BlobsExisting = Volatile.Read(ref BlobsExisting),
            BytesCopied = Interlocked.Read(ref BytesCopied),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {OperationId} into {Registry} started: {SourceRegistry} {SourceImage} ({Digest})")]
    private static partial void LogStarted(ILogger logger, string registry, Guid operationId, string sourceRegistry, string sourceImage, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {OperationId} into {Registry} succeeded: {BlobsCopied} blobs copied ({BytesCopied} bytes), {BlobsExisting} already there")]
    private static partial void LogSucceeded(ILogger logger, string registry, Guid operationId, int blobsCopied, int blobsExisting, long bytesCopied);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import {OperationId} into {Registry} failed ({Code}): {Reason}")]
    private static partial void LogFailed(ILogger logger, string registry, Guid operationId, string code, string reason, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import {OperationId} into {Registry}: its progress could not be saved")]
    private static partial void LogHeartbeatFailed(ILogger logger, string registry, Guid operationId, Exception exception);
}
