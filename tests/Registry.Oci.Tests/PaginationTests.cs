using Registry.Distribution.Core;

namespace Registry.Oci.Tests;

public sealed class PaginationTests
{
    private static List<string> Items() => ["delta", "alpha", "charlie", "bravo", "echo"];

    [Fact]
    public void Everything_sorted_without_limit()
    {
        var page = StorageManifestStore.Paginate(Items(), null, null);
        Assert.Equal(["alpha", "bravo", "charlie", "delta", "echo"], page.Items);
        Assert.Null(page.Last);
    }

    [Fact]
    public void Sorting_is_ordinal()
    {
        var page = StorageManifestStore.Paginate(["b", "B", "a", "_x", "1"], null, null);
        Assert.Equal(["1", "B", "_x", "a", "b"], page.Items);
    }

    [Fact]
    public void Limit_cuts_the_page_and_reports_the_last_item()
    {
        var page = StorageManifestStore.Paginate(Items(), 2, null);
        Assert.Equal(["alpha", "bravo"], page.Items);
        Assert.Equal("bravo", page.Last);
    }

    [Fact]
    public void Last_continues_after_the_item()
    {
        var page = StorageManifestStore.Paginate(Items(), 2, "bravo");
        Assert.Equal(["charlie", "delta"], page.Items);
        Assert.Equal("delta", page.Last);

        var final = StorageManifestStore.Paginate(Items(), 2, "delta");
        Assert.Equal(["echo"], final.Items);
        Assert.Null(final.Last);
    }

    [Fact]
    public void Last_that_is_not_an_item_continues_from_where_it_would_sort()
    {
        var page = StorageManifestStore.Paginate(Items(), null, "bz");
        Assert.Equal(["charlie", "delta", "echo"], page.Items);
    }

    [Fact]
    public void Exact_fit_has_no_next_page()
    {
        var page = StorageManifestStore.Paginate(Items(), 5, null);
        Assert.Equal(5, page.Items.Count);
        Assert.Null(page.Last);
    }

    [Fact]
    public void Past_the_end_and_zero_give_empty_pages()
    {
        Assert.Empty(StorageManifestStore.Paginate(Items(), 10, "zulu").Items);
        var zero = StorageManifestStore.Paginate(Items(), 0, null);
        Assert.Empty(zero.Items);
        Assert.Null(zero.Last);
        Assert.Empty(StorageManifestStore.Paginate([], 3, null).Items);
    }

    [Fact]
    public void Walking_pages_visits_every_item_once()
    {
        var all = Enumerable.Range(0, 37).Select(i => $"tag{i:D3}").Reverse().ToList();
        var seen = new List<string>();
        string? last = null;
        do
        {
            var page = StorageManifestStore.Paginate([.. all], 5, last);
            seen.AddRange(page.Items);
            last = page.Last;
        }
        while (last is not null);

        Assert.Equal(all.Order(StringComparer.Ordinal), seen);
    }
}
