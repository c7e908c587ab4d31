using Registry.Webhooks.Model;

namespace Registry.Webhooks.Tests;

/// <summary>ACR's webhook scope: <c>repository:tag</c> with <c>*</c>, a bare repository meaning <c>:latest</c>, empty meaning everything.</summary>
public sealed class WebhookScopeTests
{
    [Theory]
    [InlineData("", "any/repo", "v1")]
    [InlineData("", "other", "latest")]
    [InlineData("repo", "repo", "latest")]
    [InlineData("repo:*", "repo", "v1")]
    [InlineData("repo:*", "repo", "latest")]
    [InlineData("samples/*:*", "samples/hello", "v2")]
    [InlineData("samples/*:*", "samples/deep/nested", "1.0")]
    [InlineData("app:v1*", "app", "v1")]
    [InlineData("app:v1*", "app", "v1.2.3")]
    [InlineData("*:latest", "team/app", "latest")]
    public void A_tagged_event_in_scope_matches(string scope, string repository, string tag) =>
        Assert.True(WebhookScope.Matches(scope, repository, [tag]), $"'{scope}' should match {repository}:{tag}");

    [Theory]
    [InlineData("repo", "repo", "v1")]
    [InlineData("repo", "repository", "latest")]
    [InlineData("repo:*", "other", "v1")]
    [InlineData("repo:*", "repo/sub", "v1")]
    [InlineData("samples/*:*", "samplesx/hello", "v1")]
    [InlineData("samples/*:*", "other/hello", "v1")]
    [InlineData("app:v1*", "app", "v2")]
    [InlineData("app:v1*", "app", "xv1")]
    [InlineData("app:v1*", "application", "v1")]
    public void A_tagged_event_out_of_scope_does_not_match(string scope, string repository, string tag) =>
        Assert.False(WebhookScope.Matches(scope, repository, [tag]), $"'{scope}' should not match {repository}:{tag}");

    [Fact]
    public void An_event_with_several_tags_matches_when_any_tag_is_in_scope()
    {
        Assert.True(WebhookScope.Matches("app:v1*", "app", ["latest", "v1.4"]));
        Assert.False(WebhookScope.Matches("app:v1*", "app", ["latest", "v2.0"]));
    }

    [Theory]
    [InlineData("", "repo", true)]
    [InlineData("repo:*", "repo", true)]
    [InlineData("samples/*:*", "samples/x", true)]
    [InlineData("*:*", "repo", true)]
    [InlineData("repo", "repo", false)]
    [InlineData("repo:latest", "repo", false)]
    [InlineData("repo:v*", "repo", false)]
    [InlineData("other:*", "repo", false)]
    public void A_digest_only_event_matches_only_scopes_whose_tag_part_is_a_star(string scope, string repository, bool matches) =>
        Assert.Equal(matches, WebhookScope.Matches(scope, repository, []));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("repo")]
    [InlineData("repo:*")]
    [InlineData("samples/*:*")]
    [InlineData("app:v1*")]
    [InlineData("my.team/app_1-x:V1.0_rc-2")]
    public void Valid_scopes_pass_validation(string? scope) => Assert.Null(WebhookScope.Validate(scope));

    [Theory]
    [InlineData("Repo:v1", "repository part")]
    [InlineData(":v1", "repository part")]
    [InlineData("repo name:v1", "repository part")]
    [InlineData("repo:", "tag part")]
    [InlineData("repo:v1/x", "tag part")]
    [InlineData("repo:v1:v2", "tag part")]
    [InlineData("repo:v 1", "tag part")]
    public void Invalid_scopes_are_refused_naming_the_part_at_fault(string scope, string part)
    {
        var error = WebhookScope.Validate(scope);
        Assert.NotNull(error);
        Assert.Contains($"'{scope}'", error, StringComparison.Ordinal);
        Assert.Contains(part, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlong_parts_are_refused()
    {
        Assert.NotNull(WebhookScope.Validate(new string('a', 257) + ":*"));
        Assert.NotNull(WebhookScope.Validate("repo:" + new string('a', 129)));
        Assert.Null(WebhookScope.Validate(new string('a', 256) + ":" + new string('b', 128)));
    }
}
