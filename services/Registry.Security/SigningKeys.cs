using Microsoft.IdentityModel.Tokens;

namespace Registry.Security;

/// <summary>The public keys tokens may be signed with: the auth service's key ring in process, its JWKS elsewhere.</summary>
public interface ISigningKeySource
{
    /// <summary>The key with this id, refreshing once (rate-limited) when it is not known yet (a key rotated in elsewhere).</summary>
    ValueTask<SecurityKey?> FindAsync(string keyId, CancellationToken cancellationToken);
}
