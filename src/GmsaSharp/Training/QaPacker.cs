using GmsaSharp.Compression;
using GmsaSharp.Data;
using GmsaSharp.Tokenization;

namespace GmsaSharp.Training;

/// <summary>
/// Lays out the questions of a QA training sequence after their context (tokens or soft tokens):
/// <c>prompt(q1) a1\nprompt(q2) a2 ... EOS</c>, with the loss on each answer and the newline or EOS that ends
/// it. One question alone is exactly what inference answers: its prompt, then the answer and EOS.
/// </summary>
internal sealed class QaPacker
{
    private readonly HfTokenizer _tokenizer;
    private readonly PromptLayout _prompts;
    private readonly int _eos;
    private readonly int[] _newline;

    /// <summary>A packer for <paramref name="prompts"/>, which its owner (a GMSA config, a training stage) has validated.</summary>
    public QaPacker(HfTokenizer tokenizer, PromptLayout prompts, int eos)
    {
        _tokenizer = tokenizer;
        _prompts = prompts;
        _eos = eos;
        _newline = [.. tokenizer.Encode("\n", addBos: false)];
    }

    /// <summary>A sample's prompt tokens and answer tokens (ending with the newline that separates questions).</summary>
    public (int[] Prompt, int[] Answer) Encode(GmsaSample sample)
    {
        if (sample.Prompt is null || sample.Answers.Count == 0)
        {
            throw new InvalidDataException($"QA sample on line {sample.Line} has no prompt or answer.");
        }
        int[] prompt = [.. _tokenizer.Encode(_prompts.QuestionPrompt(sample.Prompt), addBos: false)];
        int[] answer = [.. _tokenizer.Encode(_prompts.AnswerTarget(sample.Answers[0]), addBos: false), .. _newline];
        return (prompt, answer);
    }

    /// <summary>The questions joined, the last answer ended by EOS; which tokens carry the loss.</summary>
    public (int[] Tokens, bool[] Trained) Join(IReadOnlyList<(int[] Prompt, int[] Answer)> items)
    {
        var tokens = new List<int>();
        var trained = new List<bool>();
        foreach ((int[] prompt, int[] answer) in items)
        {
            tokens.AddRange(prompt);
            trained.AddRange(Enumerable.Repeat(false, prompt.Length));
            tokens.AddRange(answer);
            trained.AddRange(Enumerable.Repeat(true, answer.Length));
        }
        tokens.RemoveRange(tokens.Count - _newline.Length, _newline.Length);
        trained.RemoveRange(trained.Count - _newline.Length, _newline.Length);
        tokens.Add(_eos);
        trained.Add(true);
        return (tokens.ToArray(), trained.ToArray());
    }

    /// <summary>
    /// Splits one context's <paramref name="questions"/> into consecutive runs, each at most <paramref name="maxQuestions"/>
    /// long and at most <paramref name="room"/> tokens. The first question of a run is asked with
    /// <paramref name="opening"/>'s prompt tokens when given (text that joins the context to it, encoded together with
    /// the prompt), else with its own; a question that does not fit even as the first is counted in <paramref name="rejected"/>.
    /// </summary>
    public List<List<(int[] Prompt, int[] Answer)>> Runs(IEnumerable<GmsaSample> questions, int maxQuestions, int room, Func<GmsaSample, int[]>? opening, ref int rejected)
    {
        var runs = new List<List<(int[] Prompt, int[] Answer)>>();
        List<(int[] Prompt, int[] Answer)> current = [];
        int used = 0;
        foreach (GmsaSample question in questions)
        {
            (int[] prompt, int[] answer) = Encode(question);
            if (current.Count > 0 && current.Count < maxQuestions && used + prompt.Length + answer.Length <= room)
            {
                current.Add((prompt, answer));
                used += prompt.Length + answer.Length;
                continue;
            }
            int[] first = opening?.Invoke(question) ?? prompt;
            if (first.Length + answer.Length > room)
            {
                rejected++;
                continue;
            }
            if (current.Count > 0)
            {
                runs.Add(current);
            }
            current = [(first, answer)];
            used = first.Length + answer.Length;
        }
        if (current.Count > 0)
        {
            runs.Add(current);
        }
        return runs;
    }

    /// <summary>Consecutive samples with the same context, in file order (a context asked about again later starts a new group).</summary>
    public static IEnumerable<(string Context, GmsaSample[] Questions)> GroupByContext(IReadOnlyList<GmsaSample> samples)
    {
        int start = 0;
        for (int i = 1; i <= samples.Count; i++)
        {
            if (i == samples.Count || samples[i].Input != samples[start].Input)
            {
                yield return (samples[start].Input, samples.Skip(start).Take(i - start).ToArray());
                start = i;
            }
        }
    }
}
