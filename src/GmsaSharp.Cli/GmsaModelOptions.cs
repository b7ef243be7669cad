using System.CommandLine;
using GmsaSharp.Compression;
using GmsaSharp.Models;

namespace GmsaSharp.Cli;

/// <summary>--model and --gmsa, and loading both.</summary>
internal sealed class GmsaModelOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "Base model folder (HuggingFace format).", Required = true };

    public Option<string> Gmsa { get; } = new("--gmsa") { Description = "GMSA checkpoint folder (gmsa_config.json, gmsa.safetensors).", Required = true };

    public CommonOptions Common { get; } = new();

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Gmsa);
        Common.AddTo(command);
    }

    public (CausalLM Lm, GmsaCompressor Compressor) Load(ParseResult result)
    {
        CausalLM lm = CausalLM.FromPretrained(result.GetValue(Model)!, Common.Read(result));
        try
        {
            GmsaCompressor compressor = GmsaCompressor.FromPretrained(result.GetValue(Gmsa)!, lm);
            compressor.Logger = StandardErrorLogger.Instance;
            return (lm, compressor);
        }
        catch
        {
            lm.Dispose();
            throw;
        }
    }
}
