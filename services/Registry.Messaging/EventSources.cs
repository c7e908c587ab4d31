using Registry.Contracts;

namespace Registry.Messaging;

/// <summary>The <see cref="IRegistryEvent.Source"/> of every event this process raises.</summary>
public static class EventSources
{
    public static SourceInfo ThisProcess { get; } = new() { Address = Environment.MachineName, InstanceId = Guid.NewGuid().ToString("N") };
}
