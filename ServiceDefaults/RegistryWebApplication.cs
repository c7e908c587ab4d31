using Microsoft.AspNetCore.Builder;

namespace Microsoft.Extensions.Hosting;

/// <summary>How every service host starts its builder.</summary>
public static class RegistryWebApplication
{
    /// <summary>
    /// <see cref="WebApplication.CreateBuilder(string[])"/> without reloading configuration files on change. Reloading
    /// watches the whole content root — on Linux an inotify watch on every folder under it, added as folders appear,
    /// and an event for every write — and the content root is the working folder, where the default data directory
    /// (<c>./data</c>) lives: every blob write, upload folder and link would be watched. A later
    /// <c>--hostBuilder:reloadConfigOnChange=true</c> (or <c>DOTNET_hostBuilder__reloadConfigOnChange</c>) turns it back on.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args) =>
        WebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);
}
