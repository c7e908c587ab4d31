using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.Tokens;

namespace Registry.Auth.Tests;

/// <summary>Assertions on the wire formats: OCI error bodies, ProblemDetails, Bearer challenges and JWTs.</summary>
public static partial class Expect
{
    /// <summary>Asserts the status and an OCI error body <c>{"errors":[{"code","message","detail"}]}</c> with this code; returns the error.</summary>
    public static async Task<JsonElement> OciErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        var error = Assert.Single(document.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        return error.Clone();
    }

    /// <summary>Asserts a ProblemDetails response (<c>application/problem+json</c>) with this status; returns it.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        Assert.Equal((int)status, document.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(document.RootElement.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(document.RootElement.GetProperty("detail").GetString()));
        return document.RootElement.Clone();
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    public static async Task StatusAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = response.Content is null ? "" : await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString()
        : response.Content.Headers.NonValidated.TryGetValues(name, out var contentValues) ? contentValues.ToString()
        : null;

    /// <summary>The request was refused for want of a (valid) token: 401 UNAUTHORIZED with a Bearer challenge and no <c>error</c>.</summary>
    public static async Task<JsonElement> UnauthorizedAsync(HttpResponseMessage response)
    {
        var error = await OciErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var challenge = Challenge(response);
        Assert.False(challenge.ContainsKey("error"), "a missing or invalid token is not insufficient_scope");
        return error;
    }

    /// <summary>A valid token that lacks the scope: 401 DENIED, <c>error="insufficient_scope"</c>, the challenge naming the scope.</summary>
    public static async Task DeniedAsync(HttpResponseMessage response, string scope)
    {
        var error = await OciErrorAsync(response, HttpStatusCode.Unauthorized, "DENIED");
        var challenge = Challenge(response);
        Assert.Equal("insufficient_scope", challenge.GetValueOrDefault("error"));
        Assert.Equal(scope, challenge.GetValueOrDefault("scope"));
        Assert.Contains(scope, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The parameters of the response's <c>WWW-Authenticate: Bearer …</c> challenge.</summary>
    public static Dictionary<string, string> Challenge(HttpResponseMessage response)
    {
        var header = Header(response, "WWW-Authenticate");
        Assert.NotNull(header);
        Assert.StartsWith("Bearer ", header, StringComparison.Ordinal);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in ChallengeParameter().Matches(header["Bearer ".Length..]))
        {
            parameters[match.Groups["name"].Value] = match.Groups["value"].Value;
        }

        return parameters;
    }

    [GeneratedRegex("(?<name>[a-z_]+)=\"(?<value>[^\"]*)\"")]
    private static partial Regex ChallengeParameter();
}

/// <summary>Reads (never validates) the parts of a JWT.</summary>
public static class Jwt
{
    public static JsonElement Header(string token) => Part(token, 0);

    public static JsonElement Payload(string token) => Part(token, 1);

    /// <summary>The <c>access</c> claim as <c>type:name:action,action</c> strings, in the token's order.</summary>
    public static IReadOnlyList<string> Access(string token) =>
        Payload(token).GetProperty("access").EnumerateArray()
            .Select(entry => $"{entry.GetProperty("type").GetString()}:{entry.GetProperty("name").GetString()}:" +
                             string.Join(',', entry.GetProperty("actions").EnumerateArray().Select(a => a.GetString())))
            .ToList();

    public static string Encode(object part) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(part));

    public static string EncodeJson(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    private static JsonElement Part(string token, int index)
    {
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        using var document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[index]));
        return document.RootElement.Clone();
    }
}
