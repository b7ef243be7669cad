using GmsaSharp.Compression;
using GmsaSharp.Extensions.AI;
using GmsaSharp.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="GmsaChatClient"/> as the app's <see cref="IChatClient"/>.</summary>
public static class GmsaServiceCollectionExtensions
{
    /// <summary>
    /// Loads the base model in <paramref name="modelDirectory"/> and the GMSA checkpoint in <paramref name="gmsaDirectory"/>
    /// (once, when first needed; the container owns and disposes them) and registers a chat client over them. The
    /// compressor's warnings go to the app's logging. Returns the builder, to add middleware such as <c>UseLogging()</c>.
    /// </summary>
    public static ChatClientBuilder AddGmsaChatClient(this IServiceCollection services, string modelDirectory, string gmsaDirectory,
        Action<GmsaChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(gmsaDirectory);
        services.TryAddSingleton(_ => CausalLM.FromPretrained(modelDirectory));
        services.TryAddSingleton(provider =>
        {
            GmsaCompressor compressor = GmsaCompressor.FromPretrained(gmsaDirectory, provider.GetRequiredService<CausalLM>());
            if (provider.GetService<ILoggerFactory>() is { } loggers)
            {
                compressor.Logger = loggers.CreateLogger<GmsaCompressor>();
            }
            return compressor;
        });
        return services.AddGmsaChatClient(provider => provider.GetRequiredService<GmsaCompressor>(), configure);
    }

    /// <summary>Registers a chat client over the compressor <paramref name="compressor"/> returns (which the caller owns).</summary>
    public static ChatClientBuilder AddGmsaChatClient(this IServiceCollection services, Func<IServiceProvider, GmsaCompressor> compressor,
        Action<GmsaChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(compressor);
        var options = new GmsaChatClientOptions();
        configure?.Invoke(options);
        options.Validate();
        return services.AddChatClient(provider => new GmsaChatClient(compressor(provider), options, provider.GetService<ILogger<GmsaChatClient>>()));
    }
}
