using Registry.Security;
using System.Net;
using Registry.Webhooks.Delivery;

namespace Registry.Webhooks.Tests;

/// <summary>Which addresses outbound safety counts as internal (refused unless <c>Webhooks:AllowPrivateNetworks</c>).</summary>
public sealed class OutboundGuardTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.1.2.3", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("10.255.255.255", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.254", "private")]
    [InlineData("192.168.1.10", "private")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fc00::1", "private")]
    [InlineData("fd12:3456::1", "private")]
    [InlineData("100.64.0.1", "shared (carrier-grade NAT)")]
    [InlineData("100.127.255.254", "shared (carrier-grade NAT)")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("224.0.0.1", "multicast or reserved")]
    [InlineData("ff02::1", "multicast")]
    public void Internal_addresses_are_named_by_their_range(string address, string range) =>
        Assert.Equal(range, OutboundGuard.InternalRange(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:8.8.8.8")]
    public void Public_addresses_are_not_internal(string address) =>
        Assert.Null(OutboundGuard.InternalRange(IPAddress.Parse(address)));

    [Fact]
    public void Refusal_names_the_address_and_range_unless_private_networks_are_allowed()
    {
        var strict = new OutboundGuard(allowPrivateNetworks: false, "Webhooks:AllowPrivateNetworks");
        Assert.Equal("127.0.0.1 is a loopback address", strict.Refusal(IPAddress.Loopback));
        Assert.Equal("10.1.2.3 is a private address", strict.Refusal(IPAddress.Parse("10.1.2.3")));
        Assert.Null(strict.Refusal(IPAddress.Parse("8.8.8.8")));

        var open = new OutboundGuard(allowPrivateNetworks: true, "Webhooks:AllowPrivateNetworks");
        Assert.Null(open.Refusal(IPAddress.Loopback));
        Assert.Null(open.Refusal(IPAddress.Parse("192.168.0.1")));
    }
}
