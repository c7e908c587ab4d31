using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>How every service host — and every test host — starts its builder.</summary>
public static class RegistryWebApplication
{
    /// <inheritdoc cref="CreateBuilder(WebApplicationOptions)"/>
    public static WebApplicationBuilder CreateBuilder(string[] args) => CreateBuilder(new WebApplicationOptions { Args = args });

    /// <summary>
    /// <see cref="WebApplication.CreateBuilder(WebApplicationOptions)"/> with two changes. Configuration files are not
    /// reloaded on change: reloading watches the whole content root — on Linux an inotify watch on every folder under
    /// it, added as folders appear, and an event for every write — and the content root is the working folder, where
    /// the default data directory (<c>./data</c>) lives (ADR 0017; a later <c>--hostBuilder:reloadConfigOnChange=true</c>
    /// turns it back on). And Kestrel's sockets receive into <see cref="SocketBufferPool"/>'s 64 KiB blocks instead of
    /// 4 KiB ones (ADR 0018).
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(WebApplicationOptions options)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false", .. options.Args ?? []],
            EnvironmentName = options.EnvironmentName,
            ApplicationName = options.ApplicationName,
            ContentRootPath = options.ContentRootPath,
            WebRootPath = options.WebRootPath,
        });
        builder.Services.Replace(ServiceDescriptor.Singleton<IMemoryPoolFactory<byte>, SocketBufferPool.Factory>());
        return builder;
    }
}
