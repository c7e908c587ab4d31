using System.Net;
using System.Text.Json;

namespace Registry.Webhooks.Tests;

/// <summary>RFC 7807 answers of the management API.</summary>
internal static class Problem
{
    /// <summary>
    /// Asserts (and disposes) a ProblemDetails answer with this status, a title and a detail containing
    /// <paramref name="detail"/>; returns the whole detail.
    /// </summary>
    public static async Task<string> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()), "the problem has a title");
            var actual = problem.GetProperty("detail").GetString()!;
            Assert.Contains(detail, actual, StringComparison.Ordinal);
            return actual;
        }
    }
}
