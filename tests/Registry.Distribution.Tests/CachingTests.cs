using System.Collections.Concurrent;
using Registry.Distribution.Caching;
using Registry.Distribution.Core;
using Registry.Oci;

namespace Registry.Distribution.Tests;

/// <summary>The cache decorators must never serve what storage no longer says, whatever the interleaving of writers.</summary>
public sealed class CachingTests
{
    private static readonly RepositoryPath Repository = new("default", "cache/test");

    [Fact]
    public async Task Concurrent_pushes_of_a_tag_leave_the_cache_agreeing_with_storage()
    {
        var storage = new GatedManifestStore();
        var store = new CachingManifestStore(storage, new MemoryRegistryCache(TimeProvider.System));

        // A writes storage first but is slow to return; B writes after A and returns first.
        storage.Gate("A");
        var pushA = store.PutAsync(Repository, Reference.Parse("latest"), "A"u8.ToArray(), null, [], CancellationToken.None);
        await storage.Written("A");
        await store.PutAsync(Repository, Reference.Parse("latest"), "B"u8.ToArray(), null, [], CancellationToken.None);
        storage.Release("A");
        await pushA;

        var resolved = await store.ResolveAsync(Repository, Reference.Parse("latest"), CancellationToken.None);

        Assert.Equal(storage.TagTarget("latest"), resolved?.Digest);
        Assert.Equal(GatedManifestStore.DigestOf("B"), resolved?.Digest);
    }

    [Fact]
    public async Task Push_racing_a_tag_delete_leaves_the_cache_agreeing_with_storage()
    {
        var storage = new GatedManifestStore();
        var store = new CachingManifestStore(storage, new MemoryRegistryCache(TimeProvider.System));
        await store.PutAsync(Repository, Reference.Parse("v1"), "A"u8.ToArray(), null, [], CancellationToken.None);

        // The delete removes the tag in storage, then a push re-creates it before the delete returns.
        storage.Gate("delete:v1");
        var delete = store.DeleteAsync(Repository, Reference.Parse("v1"), CancellationToken.None);
        await storage.Written("delete:v1");
        await store.PutAsync(Repository, Reference.Parse("v1"), "B"u8.ToArray(), null, [], CancellationToken.None);
        storage.Release("delete:v1");
        await delete;

        var resolved = await store.ResolveAsync(Repository, Reference.Parse("v1"), CancellationToken.None);

        Assert.Equal(GatedManifestStore.DigestOf("B"), storage.TagTarget("v1"));
        Assert.Equal(storage.TagTarget("v1"), resolved?.Digest);
    }

    [Fact]
    public async Task Repository_delete_invalidates_its_cached_tags_and_manifests()
    {
        var storage = new GatedManifestStore();
        var store = new CachingManifestStore(storage, new MemoryRegistryCache(TimeProvider.System));
        var pushed = await store.PutAsync(Repository, Reference.Parse("v1"), "A"u8.ToArray(), null, [], CancellationToken.None);
        Assert.NotNull(await store.ResolveAsync(Repository, Reference.Parse("v1"), CancellationToken.None));
        Assert.NotNull(await store.ResolveAsync(Repository, Reference.Parse(pushed.Digest), CancellationToken.None));

        var deletion = await store.DeleteRepositoryAsync(Repository, CancellationToken.None);

        Assert.Equal(["v1"], deletion?.Tags);
        Assert.Null(await store.ResolveAsync(Repository, Reference.Parse("v1"), CancellationToken.None));
        Assert.Null(await store.ResolveAsync(Repository, Reference.Parse(pushed.Digest), CancellationToken.None));
    }

    [Fact]
    public async Task Resolve_by_tag_is_cached_and_invalidated_by_a_push()
    {
        var storage = new GatedManifestStore();
        var store = new CachingManifestStore(storage, new MemoryRegistryCache(TimeProvider.System));
        Assert.Null(await store.ResolveAsync(Repository, Reference.Parse("t"), CancellationToken.None));

        await store.PutAsync(Repository, Reference.Parse("t"), "A"u8.ToArray(), null, [], CancellationToken.None);
        var first = await store.ResolveAsync(Repository, Reference.Parse("t"), CancellationToken.None);

        // The first lookup fills tag → digest, the second digest → descriptor; from then on storage is not read.
        await store.ResolveAsync(Repository, Reference.Parse("t"), CancellationToken.None);
        var reads = storage.Resolves;
        var second = await store.ResolveAsync(Repository, Reference.Parse("t"), CancellationToken.None);

        Assert.Equal(GatedManifestStore.DigestOf("A"), first?.Digest);
        Assert.Equal(first, second);
        Assert.Equal(reads, storage.Resolves);
    }

    [Fact]
    public async Task A_reader_that_read_storage_before_a_push_cannot_fill_the_cache_with_the_old_value()
    {
        var storage = new GatedManifestStore();
        var store = new CachingManifestStore(storage, new MemoryRegistryCache(TimeProvider.System));
        await store.PutAsync(Repository, Reference.Parse("slow"), "A"u8.ToArray(), null, [], CancellationToken.None);

        // The reader has read "A" from storage but not yet filled the cache when the push of "B" completes.
        storage.Gate("resolve:slow");
        var reader = store.ResolveAsync(Repository, Reference.Parse("slow"), CancellationToken.None);
        await storage.Written("resolve:slow");
        await store.PutAsync(Repository, Reference.Parse("slow"), "B"u8.ToArray(), null, [], CancellationToken.None);
        storage.Release("resolve:slow");
        Assert.Equal(GatedManifestStore.DigestOf("A"), (await reader)?.Digest);

        var resolved = await store.ResolveAsync(Repository, Reference.Parse("slow"), CancellationToken.None);

        Assert.Equal(GatedManifestStore.DigestOf("B"), resolved?.Digest);
    }

    [Fact]
    public async Task Replication_reads_storage_not_the_cache_and_still_invalidates_what_it_changes()
    {
        var shared = new MemoryRegistryCache(TimeProvider.System);
        var storage = new GatedManifestStore();
        await storage.PutAsync(Repository, Reference.Parse("latest"), "B"u8.ToArray(), null, [], CancellationToken.None);
        var tagKey = CacheKeys.Tag(Repository, "latest");
        // What a distribution instance of the region cached before: the tag at another manifest.
        await shared.AddAsync(tagKey, System.Text.Encoding.ASCII.GetBytes(GatedManifestStore.DigestOf("A")), TimeSpan.FromMinutes(5), (await shared.GetAsync(tagKey)).Generation);
        var store = new CachingManifestStore(storage, new InvalidationOnlyCache(shared));

        var resolved = await store.ResolveAsync(Repository, Reference.Parse("latest"), CancellationToken.None);
        var manifestKey = CacheKeys.Manifest(Repository, GatedManifestStore.DigestOf("B"));
        var filled = await shared.GetAsync(manifestKey);
        await store.PutAsync(Repository, Reference.Parse("latest"), "C"u8.ToArray(), null, [], CancellationToken.None);

        Assert.Equal(GatedManifestStore.DigestOf("B"), resolved?.Digest);
        Assert.Null(filled.Value);
        Assert.Null((await shared.GetAsync(tagKey)).Value);
    }

    /// <summary>An in-memory manifest store whose writes can be held after they reached "storage".</summary>
    private sealed class GatedManifestStore : IManifestStore
    {
        private readonly ConcurrentDictionary<string, string> _tags = new();
        private readonly ConcurrentDictionary<string, ManifestDescriptor> _manifests = new();
        private readonly ConcurrentDictionary<string, (TaskCompletionSource Written, TaskCompletionSource Release)> _gates = new();

        public int Resolves { get; private set; }

        public static string DigestOf(string content) => Digest.Compute(Digest.Sha256, System.Text.Encoding.UTF8.GetBytes(content)).ToString();

        public string? TagTarget(string tag) => _tags.TryGetValue(tag, out var digest) ? digest : null;

        public void Gate(string name) => _gates[name] = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public Task Written(string name) => _gates[name].Written.Task;

        public void Release(string name) => _gates[name].Release.SetResult();

        public async Task<ManifestDescriptor?> ResolveAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
        {
            Resolves++;
            var digest = reference.Tag is { } tag ? TagTarget(tag) : reference.Digest!.Value.ToString();
            var result = digest is not null && _manifests.TryGetValue(digest, out var manifest) ? manifest : null;
            await HoldAsync($"resolve:{reference}");
            return result;
        }

        public Task<ReadOnlyMemory<byte>?> ReadContentAsync(RepositoryPath repository, ManifestDescriptor manifest, CancellationToken cancellationToken) =>
            Task.FromResult<ReadOnlyMemory<byte>?>(null);

        public async Task<ManifestDescriptor> PutAsync(RepositoryPath repository, Reference reference, ReadOnlyMemory<byte> content, string? contentType, IReadOnlyList<string> extraTags, CancellationToken cancellationToken)
        {
            var text = System.Text.Encoding.UTF8.GetString(content.Span);
            var descriptor = new ManifestDescriptor { Digest = DigestOf(text), MediaType = MediaTypes.OciManifest, Size = content.Length };
            _manifests[descriptor.Digest] = descriptor;
            _tags[reference.Tag!] = descriptor.Digest;
            await HoldAsync(text);
            return descriptor;
        }

        public async Task<ManifestDeletion?> DeleteAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken)
        {
            var removed = _tags.TryRemove(reference.Tag!, out _);
            await HoldAsync($"delete:{reference.Tag}");
            return removed ? new ManifestDeletion(null, [reference.Tag!]) : null;
        }

        public Task<RepositoryDeletion?> DeleteRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken)
        {
            var tags = _tags.Keys.Order(StringComparer.Ordinal).ToList();
            var manifests = _manifests.Keys.Order(StringComparer.Ordinal).ToList();
            _tags.Clear();
            _manifests.Clear();
            return Task.FromResult<RepositoryDeletion?>(manifests.Count == 0 ? null : new RepositoryDeletion(manifests, tags, []));
        }

        public Task<Page<string>?> ListTagsAsync(RepositoryPath repository, int? limit, string? last, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<IReadOnlyList<Descriptor>> ListReferrersAsync(RepositoryPath repository, Digest subject, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<Page<string>> ListRepositoriesAsync(string registry, int? limit, string? last, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        private async Task HoldAsync(string name)
        {
            if (_gates.TryGetValue(name, out var gate))
            {
                gate.Written.SetResult();
                await gate.Release.Task;
                _gates.TryRemove(name, out _);
            }
        }
    }
}
