using Registry.Oci;

namespace Registry.Distribution.Core;

/// <summary>A decorator of the manifest store that passes everything through: a subclass overrides what it adds behaviour to.</summary>
internal abstract class ManifestStoreDecorator(IManifestStore inner) : IManifestStore
{
    protected IManifestStore Inner => inner;

    public virtual Task<ManifestDescriptor?> ResolveAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken) =>
        inner.ResolveAsync(repository, reference, cancellationToken);

    public virtual Task<ReadOnlyMemory<byte>?> ReadContentAsync(RepositoryPath repository, ManifestDescriptor manifest, CancellationToken cancellationToken) =>
        inner.ReadContentAsync(repository, manifest, cancellationToken);

    public virtual Task<ManifestDescriptor> PutAsync(
        RepositoryPath repository, Reference reference, ReadOnlyMemory<byte> content, string? contentType, IReadOnlyList<string> extraTags, CancellationToken cancellationToken) =>
        inner.PutAsync(repository, reference, content, contentType, extraTags, cancellationToken);

    public virtual Task<ManifestDeletion?> DeleteAsync(RepositoryPath repository, Reference reference, CancellationToken cancellationToken) =>
        inner.DeleteAsync(repository, reference, cancellationToken);

    public virtual Task<RepositoryDeletion?> DeleteRepositoryAsync(RepositoryPath repository, CancellationToken cancellationToken) =>
        inner.DeleteRepositoryAsync(repository, cancellationToken);

    public virtual Task<Page<string>?> ListTagsAsync(RepositoryPath repository, int? limit, string? last, CancellationToken cancellationToken) =>
        inner.ListTagsAsync(repository, limit, last, cancellationToken);

    public virtual Task<IReadOnlyList<Descriptor>> ListReferrersAsync(RepositoryPath repository, Digest subject, CancellationToken cancellationToken) =>
        inner.ListReferrersAsync(repository, subject, cancellationToken);

    public virtual Task<Page<string>> ListRepositoriesAsync(string registry, int? limit, string? last, CancellationToken cancellationToken) =>
        inner.ListRepositoriesAsync(registry, limit, last, cancellationToken);
}
