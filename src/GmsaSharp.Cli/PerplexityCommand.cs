using System.CommandLine;
using System.Text.Json;
using GmsaSharp.Evaluation;
using GmsaSharp.Models;

namespace GmsaSharp.Cli;

/// <summary>`gmsa perplexity`: mean negative log-likelihood per predicted token, and perplexity.</summary>
internal static class PerplexityCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HuggingFace model folder.", Required = true };
        var text = new Option<string?>("--text") { Description = "Text to score (needs the folder's tokenizer)." };
        var file = new Option<string?>("--file") { Description = "UTF-8 text file to score (needs the folder's tokenizer)." };
        var tokenIds = new Option<string?>("--token-ids") { Description = "Comma-separated token ids to score." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {tokens, nll, perplexity}." };
        var common = new CommonOptions();
        var command = new Command("perplexity", "Score a text: mean NLL per predicted token and perplexity.") { model, text, file, tokenIds, json };
        common.AddTo(command);
        command.SetAction(result => CliErrors.Run(() =>
        {
            string?[] inputs = [result.GetValue(text), result.GetValue(file), result.GetValue(tokenIds)];
            if (inputs.Count(input => input is not null) != 1)
            {
                throw new ArgumentException("Give exactly one of --text, --file and --token-ids.");
            }
            using CausalLM lm = CausalLM.FromPretrained(result.GetValue(model)!, common.Read(result));
            IReadOnlyList<int> ids = result.GetValue(tokenIds) is { } idText
                ? CliErrors.ParseTokenIds(idText)
                : Tokenize(lm, result.GetValue(text) ?? ReadFile(result.GetValue(file)!));
            Perplexity score = Perplexity.Compute(lm, ids);
            Console.WriteLine(result.GetValue(json)
                ? JsonSerializer.Serialize(new { tokens = score.Tokens, nll = score.Nll, perplexity = score.Value })
                : $"tokens {score.Tokens}, predicted {score.PredictedTokens}, nll {score.Nll:F4} nats/token, perplexity {score.Value:F3}");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static IReadOnlyList<int> Tokenize(CausalLM lm, string text) =>
        (lm.Tokenizer ?? throw new InvalidOperationException("This model folder has no tokenizer; use --token-ids.")).Encode(text);

    private static string ReadFile(string path) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new FileNotFoundException($"Text file '{path}' does not exist.", path);
}
