using System.Text.Json.Serialization;

namespace Registry.Auth.Apis;

// Request and response shapes of the management API, after ACR's ARM resources where ACR has one.

internal sealed record ListResult<T>([property: JsonPropertyName("value")] IReadOnlyList<T> Value);

internal sealed record Sku(string Name, string Tier);

internal sealed record RegistryResource(
    string Id,
    string Name,
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Location,
    Sku Sku,
    RegistryProperties Properties,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CredentialsResult? Credentials = null);

internal sealed record RegistryProperties(
    string LoginServer,
    DateTimeOffset CreationDate,
    bool AdminUserEnabled,
    bool AnonymousPullEnabled,
    IReadOnlyList<string> AnonymousPullRepositories,
    IReadOnlyList<string> CustomDomains,
    PoliciesResource Policies,
    string ProvisioningState = "Succeeded");

/// <summary>ACR's <c>properties.policies</c>, plus immutable tags (beyond ACR).</summary>
internal sealed record PoliciesResource(RetentionPolicyResource? RetentionPolicy, SoftDeletePolicyResource? SoftDeletePolicy, StatusPolicyResource? ImmutableTagsPolicy);

internal sealed record RetentionPolicyResource(int? Days, string? Status);

internal sealed record SoftDeletePolicyResource(int? RetentionDays, string? Status);

internal sealed record StatusPolicyResource(string? Status);

/// <summary>A registry as created (<c>PUT</c>) or changed (<c>PATCH</c>): every field optional on a change.</summary>
internal sealed record RegistryUpdate(RegistryUpdateProperties? Properties, SkuUpdate? Sku, string? Location = null);

/// <summary>ACR's <c>sku</c>: <c>Basic</c>, <c>Standard</c> or <c>Premium</c>, effective at once.</summary>
internal sealed record SkuUpdate(string? Name);

internal sealed record RegistryUpdateProperties(
    bool? AdminUserEnabled,
    bool? AnonymousPullEnabled,
    List<string>? AnonymousPullRepositories,
    List<string>? CustomDomains = null,
    PoliciesResource? Policies = null);

/// <summary>ACR's <c>listUsages</c> entries.</summary>
internal sealed record RegistryUsage(string Name, long Limit, long CurrentValue, string Unit);

internal sealed record CredentialName(string? Name);

internal sealed record PasswordInfo(
    string Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Value,
    DateTimeOffset? CreationTime,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Expiry);

internal sealed record CredentialsResult(string Username, IReadOnlyList<PasswordInfo> Passwords);

internal sealed record ScopeMapResource(string Id, string Name, string Type, ScopeMapProperties Properties);

internal sealed record ScopeMapProperties(string? Description, string Type, IReadOnlyList<string> Actions, DateTimeOffset CreationDate, string ProvisioningState = "Succeeded");

internal sealed record ScopeMapUpdate(ScopeMapUpdateProperties? Properties);

internal sealed record ScopeMapUpdateProperties(string? Description, List<string>? Actions);

internal sealed record TokenResource(string Id, string Name, string Type, TokenProperties Properties);

internal sealed record TokenProperties(
    string ScopeMapId,
    string Status,
    DateTimeOffset CreationDate,
    TokenCredentialsProperties Credentials,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RateLimitPerMinute,
    string ProvisioningState = "Succeeded");

internal sealed record TokenCredentialsProperties(IReadOnlyList<PasswordInfo> Passwords);

internal sealed record TokenUpdate(TokenUpdateProperties? Properties);

internal sealed record TokenUpdateProperties(string? ScopeMapId, string? Status, int? RateLimitPerMinute = null);

internal sealed record GenerateCredentialsRequest(string? TokenId, string? Name, DateTimeOffset? Expiry);

internal sealed record ServicePrincipalRequest(string? Name);

internal sealed record ServicePrincipalResource(
    string AppId,
    string Name,
    DateTimeOffset CreationDate,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Password);

internal sealed record RoleAssignmentResource(string Id, string Name, string Type, RoleAssignmentProperties Properties);

internal sealed record RoleAssignmentProperties(
    string PrincipalId,
    string RoleDefinitionName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Scope,
    DateTimeOffset? CreatedOn);

internal sealed record RoleAssignmentRequest(RoleAssignmentRequestProperties? Properties);

internal sealed record RoleAssignmentRequestProperties(string? PrincipalId, string? RoleDefinitionName, string? Scope);

