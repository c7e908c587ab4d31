using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Contracts;

namespace Registry.Messaging;

/// <summary>A registry event at rest (outbox entries, pending webhook deliveries): its type's name and its JSON.</summary>
public static class RegistryEventJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static byte[] Serialize(IRegistryEvent registryEvent)
    {
        ArgumentNullException.ThrowIfNull(registryEvent);
        return JsonSerializer.SerializeToUtf8Bytes(
            new Envelope(registryEvent.GetType().Name, JsonSerializer.SerializeToElement(registryEvent, registryEvent.GetType(), Options)), Options);
    }

    /// <exception cref="JsonException">Not an envelope of a known event type.</exception>
    public static IRegistryEvent Deserialize(ReadOnlySpan<byte> json)
    {
        var envelope = JsonSerializer.Deserialize<Envelope>(json, Options) ?? throw new JsonException("empty event envelope");
        if (!RegistryEventTypes.ByName.TryGetValue(envelope.Type, out var type))
        {
            throw new JsonException($"unknown event type '{envelope.Type}'");
        }

        return (IRegistryEvent)(envelope.Event.Deserialize(type, Options) ?? throw new JsonException("empty event"));
    }

    private sealed record Envelope(string Type, JsonElement Event);
}
