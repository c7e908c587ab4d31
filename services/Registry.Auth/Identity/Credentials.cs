using System.Net.Http.Headers;
using System.Text;

namespace Registry.Auth.Identity;

/// <summary>A user name and secret as presented (Basic header or form fields); never logged.</summary>
internal sealed record Credentials(string Username, string Password)
{
    public static Credentials? FromBasicHeader(string? authorization)
    {
        if (!AuthenticationHeaderValue.TryParse(authorization, out var header) ||
            !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var separator = decoded.IndexOf(':', StringComparison.Ordinal);
            return separator <= 0 ? null : new Credentials(decoded[..separator], decoded[(separator + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
