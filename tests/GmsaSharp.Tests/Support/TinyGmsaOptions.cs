using GmsaSharp.Compression;
using GmsaSharp.Models;

namespace GmsaSharp.Tests.Support;

/// <summary>The smallest compressor the compression tests build on a tiny base: one encoder block with a rank-4
/// LoRA on every projection and 16-token windows, so a few dozen tokens already span several windows.</summary>
internal static class TinyGmsaOptions
{
    public static readonly GmsaOptions Small = new()
    {
        EncoderLayers = 1,
        EncoderLora = new LoraSettings(4, 8, 0.0, LoraSettings.AllProjections),
        WindowSize = 16,
        Seed = 3,
    };
}
