using System.Buffers;
using System.Diagnostics.Metrics;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Registry.Distribution.Tests;

public sealed class SocketBufferPoolTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private static byte[] ArrayOf(IMemoryOwner<byte> owner) =>
        MemoryMarshal.TryGetArray<byte>(owner.Memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not array-backed");

    [Fact]
    public void A_returned_block_is_handed_out_again()
    {
        using var pool = new SocketBufferPool();
        var first = pool.Rent(2048);
        Assert.Equal(SocketBufferPool.BlockSize, first.Memory.Length);
        var array = ArrayOf(first);
        first.Dispose();

        using var second = pool.Rent();
        Assert.Same(array, ArrayOf(second));
    }

    [Fact]
    public void A_block_disposed_twice_goes_back_once()
    {
        using var pool = new SocketBufferPool();
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();

        using var a = pool.Rent();
        using var b = pool.Rent();
        Assert.NotSame(ArrayOf(a), ArrayOf(b));
    }

    [Fact]
    public void More_than_a_block_is_served_and_never_pooled()
    {
        using var pool = new SocketBufferPool();
        var large = pool.Rent(SocketBufferPool.BlockSize + 1);
        Assert.True(large.Memory.Length >= SocketBufferPool.BlockSize + 1);
        var array = ArrayOf(large);
        large.Dispose();

        using var next = pool.Rent();
        Assert.NotSame(array, ArrayOf(next));
        Assert.Equal(SocketBufferPool.BlockSize, next.Memory.Length);
    }

    [Fact]
    public void The_factory_reports_bytes_allocated_and_bytes_pooled()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SocketBufferPool.MeterName && instrument.Meter.Scope == meters)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            measured[instrument.Name] = measured.GetValueOrDefault(instrument.Name) + value);
        listener.Start();

        using var pool = new SocketBufferPool.Factory(meters).Create();
        var first = pool.Rent();
        var second = pool.Rent();
        first.Dispose();
        second.Dispose();
        using var reused = pool.Rent();

        Assert.Equal(2L * SocketBufferPool.BlockSize, measured["registry.socket_buffers.allocated"]);
        listener.RecordObservableInstruments();
        Assert.Equal(SocketBufferPool.BlockSize, measured["registry.socket_buffers.pooled"]);
    }

    [Fact]
    public async Task The_host_gives_kestrel_the_pool_and_a_streamed_upload_keeps_every_byte()
    {
        Assert.IsType<SocketBufferPool.Factory>(fixture.App.Services.GetRequiredService<IMemoryPoolFactory<byte>>());

        // Several blocks' worth in odd-sized writes, so reads end mid-block and chunk headers straddle blocks.
        var repository = OciClient.NewRepository();
        var content = OciClient.RandomBytes(5 * SocketBufferPool.BlockSize + 12_345);
        var digest = OciClient.DigestOf(content);
        using var start = await fixture.Client.Http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);

        using var patched = await fixture.Client.SendAsync(HttpMethod.Patch, start.Headers.Location!.OriginalString, new OddWritesContent(content));
        Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);

        using var put = await fixture.Client.SendAsync(HttpMethod.Put, $"{patched.Headers.Location!.OriginalString}?digest={digest}");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(content, await fixture.Client.Http.GetByteArrayAsync($"/v2/{repository}/blobs/{digest}"));
    }

    /// <summary>A body without a length (sent chunked) written in pieces of varying, odd sizes.</summary>
    private sealed class OddWritesContent(byte[] content) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var sizes = new[] { 1, 4095, 65_537, 17, 131_071, 3 };
            for (int offset = 0, i = 0; offset < content.Length; i++)
            {
                var size = Math.Min(sizes[i % sizes.Length], content.Length - offset);
                await stream.WriteAsync(content.AsMemory(offset, size));
                await stream.FlushAsync();
                offset += size;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
