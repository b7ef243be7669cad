using System.CommandLine;
using GmsaSharp.Generation;
using GmsaSharp.Models;

namespace GmsaSharp.Cli;

/// <summary>`gmsa generate`: continue a prompt (text or token ids) with a HuggingFace model folder.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HuggingFace model folder (config.json, safetensors, tokenizer).", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (needs the folder's tokenizer)." };
        var tokenIds = new Option<string?>("--token-ids") { Description = "Prompt as comma-separated token ids, e.g. 1,2,3." };
        var sampling = new SamplingOptions();
        var common = new CommonOptions();
        var command = new Command("generate", "Generate a continuation of a prompt.") { model, prompt, tokenIds };
        sampling.AddTo(command);
        common.AddTo(command);
        command.SetAction((result, cancellationToken) => CliErrors.Run(async () =>
        {
            string? text = result.GetValue(prompt);
            string? ids = result.GetValue(tokenIds);
            if ((text is null) == (ids is null))
            {
                throw new ArgumentException("Give exactly one of --prompt and --token-ids.");
            }
            GenerationOptions options = sampling.Read(result);
            using CausalLM lm = CausalLM.FromPretrained(result.GetValue(model)!, common.Read(result));
            if (text is not null)
            {
                await foreach (string piece in TextGeneration.StreamAsync(lm, text, options, cancellationToken))
                {
                    Console.Write(piece);
                }
                Console.WriteLine();
                return 0;
            }
            int[] generated = TokenGenerator.Generate(lm, CliErrors.ParseTokenIds(ids!), options, cancellationToken).ToArray();
            Console.WriteLine(string.Join(",", generated));
            if (lm.Tokenizer is { } tokenizer)
            {
                Console.WriteLine(tokenizer.Decode(generated, skipSpecialTokens: true));
            }
            return 0;
        }));
        return command;
    }
}
