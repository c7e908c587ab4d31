namespace Registry.Oci;

/// <summary>The <c>&lt;reference&gt;</c> of a manifest URL: a tag or a digest.</summary>
public readonly record struct Reference
{
    private Reference(string? tag, Digest? digest)
    {
        Tag = tag;
        Digest = digest;
    }

    public string? Tag { get; }

    public Digest? Digest { get; }

    public bool IsDigest => Digest is not null;

    public override string ToString() => Tag ?? Digest!.Value.ToString();

    public static Reference Parse(string value)
    {
        if (value.Contains(':', StringComparison.Ordinal))
        {
            return new Reference(null, Oci.Digest.Parse(value));
        }

        if (!OciGrammar.IsTag(value))
        {
            throw new OciException(OciErrorCode.TagInvalid, "reference must be a tag ([a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}) or a digest", value);
        }

        return new Reference(value, null);
    }
}
