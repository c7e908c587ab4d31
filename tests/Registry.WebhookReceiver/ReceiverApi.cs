using Microsoft.AspNetCore.Http.HttpResults;

namespace Registry.WebhookReceiver;

/// <summary>The control endpoints under <c>/_receiver/</c>; every other path is recorded by <see cref="Receiver"/>.</summary>
internal static class ReceiverApi
{
    public const string Prefix = "/_receiver";

    public static bool IsControl(PathString path) => path.StartsWithSegments(Prefix, StringComparison.Ordinal);

    public static RouteGroupBuilder MapReceiverApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix);
        group.MapGet("/health", () => TypedResults.Ok());
        group.MapGet("/requests", GetRequests);
        group.MapDelete("/requests", ClearRequests);
        group.MapPut("/mode", SetDefaultMode);
        group.MapPut("/modes/{**path}", SetMode);
        group.MapDelete("/modes", ResetModes);
        return group;
    }

    private static Ok<IReadOnlyList<RecordedRequest>> GetRequests(Receiver receiver, string? path) => TypedResults.Ok(receiver.Requests(path));

    private static NoContent ClearRequests(Receiver receiver)
    {
        receiver.Clear();
        return TypedResults.NoContent();
    }

    private static NoContent SetDefaultMode(Receiver receiver, ReceiverMode mode)
    {
        receiver.DefaultMode = mode;
        return TypedResults.NoContent();
    }

    private static NoContent SetMode(Receiver receiver, string? path, ReceiverMode mode)
    {
        receiver.SetMode("/" + path, mode);
        return TypedResults.NoContent();
    }

    private static NoContent ResetModes(Receiver receiver)
    {
        receiver.ResetModes();
        return TypedResults.NoContent();
    }
}
