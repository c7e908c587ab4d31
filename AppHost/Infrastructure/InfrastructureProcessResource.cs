namespace Registry.AppHost.Infrastructure;

/// <summary>A local executable (redis-server, rabbitmq-server, azurite) that services reach through a connection string.</summary>
internal sealed class InfrastructureProcessResource(string name, string command, string workingDirectory, Func<ReferenceExpression> connectionString)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression => connectionString();
}

/// <summary>Azurite in a container, exposing the blob endpoint as an Azure Storage connection string.</summary>
internal sealed class AzuriteContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public EndpointReference BlobEndpoint => new(this, "blob");

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{AzuriteConnection.Prefix}BlobEndpoint=http://{BlobEndpoint.Property(EndpointProperty.HostAndPort)}/devstoreaccount1;");
}

internal static class AzuriteConnection
{
    /// <summary>Azurite's published development account (not a secret).</summary>
    public const string Prefix =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;";
}
