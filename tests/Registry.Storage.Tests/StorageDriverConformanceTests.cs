using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Registry.Storage.Tests;

/// <summary>
/// Every behaviour of <see cref="IStorageDriver"/>; each driver passes the same suite through a subclass that says how
/// to make a fresh, empty driver for one test.
/// </summary>
public abstract class StorageDriverConformanceTests : IAsyncLifetime
{
    private IStorageDriver? _driver;

    protected IStorageDriver Driver => _driver ?? throw new InvalidOperationException("the driver is made in InitializeAsync");

    /// <summary>A driver over empty storage, private to this test.</summary>
    protected abstract Task<IStorageDriver> CreateDriverAsync();

    /// <summary>Removes what <see cref="CreateDriverAsync"/> made.</summary>
    protected abstract Task DestroyDriverAsync();

    public async Task InitializeAsync() => _driver = await CreateDriverAsync();

    public Task DisposeAsync() => DestroyDriverAsync();

    // ---- read / write ----------------------------------------------------------------------------------------------

    [Fact]
    public async Task Missing_object_has_no_info_and_reads_as_null()
    {
        Assert.Null(await Driver.GetInfoAsync("nothing/here"));
        Assert.Null(await Driver.ReadAsync("nothing/here"));
    }

    [Fact]
    public async Task Write_then_read_round_trips_content_size_and_etag()
    {
        var etag = await Driver.WriteAsync("a/b/link", Bytes("sha256:abc"));

        var read = await Driver.ReadAsync("a/b/link");
        var info = await Driver.GetInfoAsync("a/b/link");

        Assert.NotNull(read);
        Assert.NotNull(info);
        Assert.Equal("sha256:abc", Text(read.Content));
        Assert.Equal(10, info.Size);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(etag, info.ETag);
        Assert.InRange(info.LastModified, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task Empty_object_round_trips()
    {
        var etag = await Driver.WriteAsync("empty", ReadOnlyMemory<byte>.Empty);

        var read = await Driver.ReadAsync("empty");
        Assert.NotNull(read);
        Assert.Equal(0, read.Content.Length);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(0, (await Driver.GetInfoAsync("empty"))!.Size);
    }

    [Fact]
    public async Task Unconditional_write_replaces_and_changes_the_etag_even_for_same_length_content()
    {
        var first = await Driver.WriteAsync("x", Bytes("one"));
        var second = await Driver.WriteAsync("x", Bytes("two"));
        var third = await Driver.WriteAsync("x", Bytes("six"));

        Assert.Equal("six", Text((await Driver.ReadAsync("x"))!.Content));
        Assert.Equal(3, new HashSet<string> { first, second, third }.Count);
        Assert.Equal(third, (await Driver.GetInfoAsync("x"))!.ETag);
    }

    // ---- conditions ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task NotExists_creates_a_missing_object()
    {
        var etag = await Driver.WriteAsync("tag/link", Bytes("v1"), StorageCondition.NotExists);

        Assert.Equal(etag, (await Driver.GetInfoAsync("tag/link"))!.ETag);
    }

    [Fact]
    public async Task NotExists_on_an_existing_object_fails_and_changes_nothing()
    {
        var etag = await Driver.WriteAsync("tag/link", Bytes("v1"));

        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => Driver.WriteAsync("tag/link", Bytes("v2"), StorageCondition.NotExists));

        var read = await Driver.ReadAsync("tag/link");
        Assert.Equal("v1", Text(read!.Content));
        Assert.Equal(etag, read.ETag);
    }

    [Fact]
    public async Task Matches_with_the_current_etag_replaces()
    {
        var etag = await Driver.WriteAsync("tag/link", Bytes("v1"));

        var next = await Driver.WriteAsync("tag/link", Bytes("v2"), StorageCondition.Matches(etag));

        var read = await Driver.ReadAsync("tag/link");
        Assert.Equal("v2", Text(read!.Content));
        Assert.Equal(next, read.ETag);
        Assert.NotEqual(etag, next);
    }

    [Fact]
    public async Task Matches_with_a_stale_etag_fails_and_changes_nothing()
    {
        var stale = await Driver.WriteAsync("tag/link", Bytes("v1"));
        var current = await Driver.WriteAsync("tag/link", Bytes("v2"));

        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => Driver.WriteAsync("tag/link", Bytes("v3"), StorageCondition.Matches(stale)));

        var read = await Driver.ReadAsync("tag/link");
        Assert.Equal("v2", Text(read!.Content));
        Assert.Equal(current, read.ETag);
    }

    [Fact]
    public async Task Matches_on_a_missing_object_fails_and_creates_nothing()
    {
        var etag = await Driver.WriteAsync("other", Bytes("v1"));

        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => Driver.WriteAsync("tag/link", Bytes("v1"), StorageCondition.Matches(etag)));

        Assert.Null(await Driver.GetInfoAsync("tag/link"));
    }

    [Fact]
    public async Task Replacing_creates_from_null_and_replaces_from_an_etag()
    {
        var created = await Driver.WriteAsync("state", Bytes("1"), StorageCondition.Replacing(null));
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => Driver.WriteAsync("state", Bytes("x"), StorageCondition.Replacing(null)));

        await Driver.WriteAsync("state", Bytes("2"), StorageCondition.Replacing(created));

        Assert.Equal("2", Text((await Driver.ReadAsync("state"))!.Content));
    }

    [Fact]
    public async Task Concurrent_read_modify_write_increments_lose_no_update()
    {
        const int Writers = 16;
        const int IncrementsEach = 5;
        await Driver.WriteAsync("counter", Bytes("0"), StorageCondition.NotExists);

        async Task<int> IncrementAsync()
        {
            var conflicts = 0;
            for (var done = 0; done < IncrementsEach;)
            {
                Assert.True(conflicts < 10_000, "too many conflicts: the condition never lets a writer through");
                var current = await Driver.ReadAsync("counter");
                var value = int.Parse(Text(current!.Content), CultureInfo.InvariantCulture);
                try
                {
                    await Driver.WriteAsync("counter", Bytes((value + 1).ToString(CultureInfo.InvariantCulture)), StorageCondition.Matches(current.ETag));
                    done++;
                }
                catch (StoragePreconditionFailedException)
                {
                    conflicts++;
                    await Task.Delay(Random.Shared.Next(0, 4)); // a little jitter, as a real client backs off
                }
            }

            return conflicts;
        }

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(IncrementAsync)));

        Assert.Equal((Writers * IncrementsEach).ToString(CultureInfo.InvariantCulture), Text((await Driver.ReadAsync("counter"))!.Content));
    }

    [Fact]
    public async Task Concurrent_creates_have_exactly_one_winner()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                await Driver.WriteAsync("once", Bytes($"writer-{i:00}"), StorageCondition.NotExists);
                return i;
            }
            catch (StoragePreconditionFailedException)
            {
                return -1;
            }
        })));

        var winner = Assert.Single(results, r => r >= 0);
        Assert.Equal($"writer-{winner:00}", Text((await Driver.ReadAsync("once"))!.Content));
    }

    // ---- append ----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Append_at_zero_creates_and_returns_the_length()
    {
        var length = await Driver.AppendAsync("uploads/u/data", Stream("hello"), 0);

        Assert.Equal(5, length);
        Assert.Equal(5, (await Driver.GetInfoAsync("uploads/u/data"))!.Size);
        Assert.Equal("hello", await ReadAllAsync("uploads/u/data"));
    }

    [Fact]
    public async Task Appends_accumulate_length_and_content()
    {
        Assert.Equal(3, await Driver.AppendAsync("data", Stream("abc"), 0));
        Assert.Equal(3, await Driver.AppendAsync("data", Stream(string.Empty), 3));
        Assert.Equal(7, await Driver.AppendAsync("data", Stream("defg"), 3));
        Assert.Equal(8, await Driver.AppendAsync("data", Stream("h"), 7));

        Assert.Equal(8, (await Driver.GetInfoAsync("data"))!.Size);
        Assert.Equal("abcdefgh", await ReadAllAsync("data"));
    }

    [Fact]
    public async Task Appends_across_block_and_buffer_boundaries_keep_every_byte_in_order()
    {
        // Sizes that start and end on and off 4 KiB blocks and span the filesystem driver's 1 MiB copy buffer; Azure
        // appends blocks of at most 4 MiB.
        int[] sizes = [3 * 4096, 1024 * 1024 + 100, 5000, 4096 - 5000 % 4096 + 4096 - 100, 2 * 1024 * 1024, 1];
        var expected = new MemoryStream();
        foreach (var size in sizes)
        {
            var chunk = new byte[size];
            Random.Shared.NextBytes(chunk);
            Assert.Equal(expected.Length + size, await Driver.AppendAsync("uploads/u/data", new MemoryStream(chunk), expected.Length));
            expected.Write(chunk);
        }

        await using var stored = await Driver.OpenReadAsync("uploads/u/data");
        var actual = new MemoryStream();
        await stored.CopyToAsync(actual);
        Assert.Equal(expected.ToArray(), actual.ToArray());
        Assert.Equal(expected.Length, (await Driver.GetInfoAsync("uploads/u/data"))!.Size);
    }

    [Fact]
    public async Task Empty_append_at_zero_creates_an_empty_object_that_can_be_appended_from_zero()
    {
        Assert.Equal(0, await Driver.AppendAsync("data", Stream(string.Empty), 0));
        Assert.Equal(0, (await Driver.GetInfoAsync("data"))!.Size);

        Assert.Equal(3, await Driver.AppendAsync("data", Stream("abc"), 0));
        Assert.Equal("abc", await ReadAllAsync("data"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(100)]
    public async Task Append_at_a_wrong_offset_fails_and_changes_nothing(long offset)
    {
        await Driver.AppendAsync("data", Stream("abc"), 0);

        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => Driver.AppendAsync("data", Stream("xyz"), offset));

        Assert.Equal("abc", await ReadAllAsync("data"));
    }

    [Fact]
    public async Task Empty_append_at_a_wrong_offset_fails()
    {
        await Driver.AppendAsync("data", Stream("abc"), 0);

        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => Driver.AppendAsync("data", Stream(string.Empty), 1));
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => Driver.AppendAsync("data", Stream(string.Empty), 0));
    }

    [Fact]
    public async Task Append_past_zero_to_a_missing_object_fails_and_creates_nothing()
    {
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => Driver.AppendAsync("data", Stream("abc"), 3));

        Assert.Null(await Driver.GetInfoAsync("data"));
    }

    [Fact]
    public async Task Concurrent_appends_at_the_same_offset_have_exactly_one_winner()
    {
        await Driver.AppendAsync("data", Stream("start-"), 0);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                await Driver.AppendAsync("data", Stream($"writer-{i}"), 6);
                return i;
            }
            catch (StoragePreconditionFailedException)
            {
                return -1;
            }
        })));

        var winner = Assert.Single(results, r => r >= 0);
        Assert.Equal($"start-writer-{winner}", await ReadAllAsync("data"));
    }

    [Fact]
    public async Task A_64_MiB_streamed_append_reads_back_identically()
    {
        const long Size = 64L * 1024 * 1024;
        byte[] expected;
        await using (var source = new GeneratedStream(Size, 42))
        {
            expected = await SHA256.HashDataAsync(source);
        }

        await using (var body = new GeneratedStream(Size, 42))
        {
            Assert.Equal(Size, await Driver.AppendAsync("uploads/big/data", body, 0));
        }

        Assert.Equal(Size, (await Driver.GetInfoAsync("uploads/big/data"))!.Size);
        await using var read = await Driver.OpenReadAsync("uploads/big/data");
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(await SHA256.HashDataAsync(read)));
    }

    [Fact]
    public async Task Streamed_appends_in_several_calls_read_back_identically()
    {
        const int Part = 5 * 1024 * 1024 + 17;
        byte[] expected;
        await using (var source = new GeneratedStream(3L * Part, 7))
        {
            expected = await SHA256.HashDataAsync(source);
        }

        await using var whole = new GeneratedStream(3L * Part, 7);
        long length = 0;
        for (var i = 0; i < 3; i++)
        {
            var buffer = new byte[Part];
            await whole.ReadExactlyAsync(buffer);
            length = await Driver.AppendAsync("data", new MemoryStream(buffer), length);
        }

        Assert.Equal(3L * Part, length);
        await using var read = await Driver.OpenReadAsync("data");
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(await SHA256.HashDataAsync(read)));
    }

    // ---- ranged reads ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(0L, null, "0123456789")]
    [InlineData(0L, 4L, "0123")]
    [InlineData(3L, 4L, "3456")]
    [InlineData(6L, null, "6789")]
    [InlineData(9L, 1L, "9")]
    [InlineData(7L, 100L, "789")]
    [InlineData(4L, 0L, "")]
    [InlineData(10L, null, "")]
    public async Task OpenRead_returns_the_requested_range(long offset, long? length, string expected)
    {
        await Driver.WriteAsync("blob", Bytes("0123456789"));

        await using var stream = await Driver.OpenReadAsync("blob", offset, length);
        using var reader = new StreamReader(stream);

        Assert.Equal(expected, await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task OpenRead_of_an_appended_object_returns_ranges_across_appends()
    {
        await Driver.AppendAsync("data", Stream("01234"), 0);
        await Driver.AppendAsync("data", Stream("56789"), 5);

        await using var stream = await Driver.OpenReadAsync("data", 3, 4);
        using var reader = new StreamReader(stream);

        Assert.Equal("3456", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task OpenRead_of_a_missing_object_throws_not_found()
    {
        var ex = await Assert.ThrowsAsync<StorageNotFoundException>(() => Driver.OpenReadAsync("missing/blob"));
        Assert.Equal("missing/blob", ex.Path);
        await Assert.ThrowsAsync<StorageNotFoundException>(() => Driver.OpenReadAsync("missing/blob", 2, 3));
    }

    // ---- move ------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Move_puts_the_content_at_the_destination_and_removes_the_source()
    {
        await Driver.AppendAsync("uploads/u/data", Stream("layer-bytes"), 0);

        await Driver.MoveAsync("uploads/u/data", "blobs/sha256/ab/abcd/data");

        Assert.Null(await Driver.GetInfoAsync("uploads/u/data"));
        Assert.Equal(11, (await Driver.GetInfoAsync("blobs/sha256/ab/abcd/data"))!.Size);
        Assert.Equal("layer-bytes", await ReadAllAsync("blobs/sha256/ab/abcd/data"));
    }

    [Fact]
    public async Task Move_of_a_written_object_keeps_its_content()
    {
        await Driver.WriteAsync("a", Bytes("small"));

        await Driver.MoveAsync("a", "b/c");

        Assert.Null(await Driver.ReadAsync("a"));
        Assert.Equal("small", Text((await Driver.ReadAsync("b/c"))!.Content));
    }

    [Fact]
    public async Task Move_over_an_existing_destination_replaces_it()
    {
        await Driver.WriteAsync("dest", Bytes("old"));
        await Driver.AppendAsync("src", Stream("new content"), 0);

        await Driver.MoveAsync("src", "dest");

        Assert.Null(await Driver.GetInfoAsync("src"));
        Assert.Equal("new content", await ReadAllAsync("dest"));
    }

    [Fact]
    public async Task Move_onto_a_destination_with_the_same_content_removes_the_source()
    {
        await Driver.AppendAsync("blobs/d/data", Stream("same bytes"), 0);
        await Driver.AppendAsync("uploads/u/data", Stream("same bytes"), 0);

        await Driver.MoveAsync("uploads/u/data", "blobs/d/data");

        Assert.Null(await Driver.GetInfoAsync("uploads/u/data"));
        Assert.Equal("same bytes", await ReadAllAsync("blobs/d/data"));
    }

    [Fact]
    public async Task Move_of_a_missing_source_throws_not_found()
    {
        await Assert.ThrowsAsync<StorageNotFoundException>(() => Driver.MoveAsync("missing", "dest"));

        Assert.Null(await Driver.GetInfoAsync("dest"));
    }

    // ---- delete ----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Delete_returns_whether_the_object_existed()
    {
        await Driver.WriteAsync("a/b", Bytes("x"));

        Assert.True(await Driver.DeleteAsync("a/b"));
        Assert.Null(await Driver.GetInfoAsync("a/b"));
        Assert.False(await Driver.DeleteAsync("a/b"));
        Assert.False(await Driver.DeleteAsync("never/there"));
    }

    [Fact]
    public async Task Delete_after_a_conditional_write_leaves_nothing_listed()
    {
        await Driver.WriteAsync("dir/tag", Bytes("x"), StorageCondition.NotExists);
        await Driver.WriteAsync("dir/keep", Bytes("y"));

        Assert.True(await Driver.DeleteAsync("dir/tag"));

        Assert.Equal(["keep"], await ListAsync("dir"));
    }

    [Fact]
    public async Task Delete_prefix_removes_everything_below_it_and_nothing_beside_it()
    {
        await Driver.WriteAsync("repo/a/link", Bytes("1"));
        await Driver.WriteAsync("repo/a/deep/er/link", Bytes("2"));
        await Driver.AppendAsync("repo/a/data", Stream("3"), 0);
        await Driver.WriteAsync("repo/ab/link", Bytes("4"));
        await Driver.WriteAsync("repo/b", Bytes("5"));

        await Driver.DeletePrefixAsync("repo/a");

        Assert.Null(await Driver.GetInfoAsync("repo/a/link"));
        Assert.Null(await Driver.GetInfoAsync("repo/a/deep/er/link"));
        Assert.Null(await Driver.GetInfoAsync("repo/a/data"));
        Assert.NotNull(await Driver.GetInfoAsync("repo/ab/link"));
        Assert.NotNull(await Driver.GetInfoAsync("repo/b"));
        Assert.Equal(["ab", "b"], await ListAsync("repo"));
    }

    [Fact]
    public async Task Delete_prefix_of_a_missing_prefix_does_nothing()
    {
        await Driver.WriteAsync("keep", Bytes("x"));

        await Driver.DeletePrefixAsync("missing/prefix");

        Assert.NotNull(await Driver.GetInfoAsync("keep"));
    }

    // ---- list ------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task List_returns_the_names_of_immediate_children_objects_and_prefixes()
    {
        await Driver.WriteAsync("dir/a", Bytes("1"));
        await Driver.WriteAsync("dir/b", Bytes("2"), StorageCondition.NotExists);
        await Driver.AppendAsync("dir/up", Stream("3"), 0);
        await Driver.WriteAsync("dir/sub/c", Bytes("4"));
        await Driver.WriteAsync("dir/sub/deeper/d", Bytes("5"));
        await Driver.WriteAsync("dirx/e", Bytes("6"));

        Assert.Equal(["a", "b", "sub", "up"], await ListAsync("dir"));
        Assert.Equal(["c", "deeper"], await ListAsync("dir/sub"));
        Assert.Equal(["d"], await ListAsync("dir/sub/deeper"));
    }

    [Fact]
    public async Task List_of_a_missing_prefix_or_an_object_is_empty()
    {
        await Driver.WriteAsync("dir/a", Bytes("1"));

        Assert.Empty(await ListAsync("nothing"));
        Assert.Empty(await ListAsync("dir/a"));
        Assert.Empty(await ListAsync("di"));
    }

    [Fact]
    public async Task List_shows_prefixes_whose_names_end_like_temporary_or_lock_files()
    {
        // Tags such as "v1.lock" or "build.tmp" are valid OCI tags and become directory-like prefixes.
        await Driver.WriteAsync("tags/v1.lock/current/link", Bytes("1"));
        await Driver.WriteAsync("tags/build.tmp/current/link", Bytes("2"), StorageCondition.NotExists);

        Assert.Equal(["build.tmp", "v1.lock"], await ListAsync("tags"));
    }

    // ---- path guard ------------------------------------------------------------------------------------------------

    public static TheoryData<string> UncleanPaths => ["", "/abs/path", "..", "a/../b", "../a", "a/./b", ".", "a//b", "a/", "a\\b"];

    [Theory]
    [MemberData(nameof(UncleanPaths))]
    public async Task Unclean_paths_are_rejected_by_every_operation(string path)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.GetInfoAsync(path));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.ReadAsync(path));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.OpenReadAsync(path));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.WriteAsync(path, Bytes("x")));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.AppendAsync(path, Stream("x"), 0));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.DeleteAsync(path));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.DeletePrefixAsync(path));
        await Assert.ThrowsAsync<ArgumentException>(() => ListAsync(path));

        await Driver.WriteAsync("clean", Bytes("x"));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.MoveAsync("clean", path));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.MoveAsync(path, "clean"));
        Assert.Equal("x", Text((await Driver.ReadAsync("clean"))!.Content));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    protected static MemoryStream Stream(string text) => new(Bytes(text), writable: false);

    protected Task<string> ReadAllAsync(string path) => ReadAllAsync(Driver, path);

    protected static async Task<string> ReadAllAsync(IStorageDriver driver, string path)
    {
        await using var stream = await driver.OpenReadAsync(path);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>The children of <paramref name="prefix"/>, sorted (the driver promises no order).</summary>
    protected async Task<List<string>> ListAsync(string prefix)
    {
        var names = new List<string>();
        await foreach (var name in Driver.ListAsync(prefix))
        {
            names.Add(name);
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
