using Registry.Distribution.Apis;

namespace Registry.Oci.Tests;

public sealed class HttpRangeTests
{
    [Theory]
    [InlineData("bytes=0-9", 100, 0, 10)]
    [InlineData("bytes=10-19", 100, 10, 10)]
    [InlineData("bytes=90-", 100, 90, 10)]
    [InlineData("bytes=0-", 100, 0, 100)]
    [InlineData("bytes=0-999", 100, 0, 100)]
    [InlineData("bytes=99-99", 100, 99, 1)]
    [InlineData("bytes=-10", 100, 90, 10)]
    [InlineData("bytes=-100", 100, 0, 100)]
    [InlineData("bytes=-1000", 100, 0, 100)]
    [InlineData("BYTES=1-2", 100, 1, 2)]
    [InlineData("bytes= 1 - 2 ", 100, 1, 2)]
    public void Satisfiable_single_ranges(string header, long size, long offset, long length)
    {
        Assert.True(HttpRange.TryParseRange(header, size, out var actualOffset, out var actualLength, out var satisfiable));
        Assert.True(satisfiable);
        Assert.Equal(offset, actualOffset);
        Assert.Equal(length, actualLength);
    }

    [Theory]
    [InlineData("bytes=100-", 100)]
    [InlineData("bytes=100-200", 100)]
    [InlineData("bytes=-0", 100)]
    [InlineData("bytes=0-", 0)]
    [InlineData("bytes=-5", 0)]
    public void Unsatisfiable_ranges(string header, long size)
    {
        Assert.True(HttpRange.TryParseRange(header, size, out _, out _, out var satisfiable));
        Assert.False(satisfiable);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("items=0-1")]
    [InlineData("bytes=0-1,3-4")]
    [InlineData("bytes=5-2")]
    [InlineData("bytes=abc")]
    [InlineData("bytes=a-b")]
    [InlineData("bytes=-")]
    [InlineData("bytes=+1-2")]
    [InlineData("bytes=1-+2")]
    public void Absent_or_malformed_ranges_serve_the_whole_blob(string? header)
    {
        Assert.False(HttpRange.TryParseRange(header, 100, out var offset, out var length, out var satisfiable));
        Assert.True(satisfiable);
        Assert.Equal(0, offset);
        Assert.Equal(100, length);
    }

    [Theory]
    [InlineData("0-99", 0, 99)]
    [InlineData("100-199", 100, 199)]
    [InlineData("bytes 0-99/100", 0, 99)]
    [InlineData("bytes=5-9", 5, 9)]
    [InlineData("5-9/*", 5, 9)]
    [InlineData("7-7", 7, 7)]
    public void Chunk_content_ranges(string header, long start, long end)
    {
        Assert.True(HttpRange.TryParseContentRange(header, out var actualStart, out var actualEnd));
        Assert.Equal(start, actualStart);
        Assert.Equal(end, actualEnd);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("-5")]
    [InlineData("9-5")]
    [InlineData("5-")]
    [InlineData("a-b")]
    [InlineData("bytes */100")]
    public void Malformed_chunk_content_ranges(string header)
    {
        Assert.False(HttpRange.TryParseContentRange(header, out _, out _));
    }
}
