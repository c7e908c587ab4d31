using Registry.Testing;

namespace Registry.Storage.Tests;

/// <summary>One Azurite process shared by every test class in this collection.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}
