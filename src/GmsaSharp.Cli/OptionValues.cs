namespace GmsaSharp.Cli;

/// <summary>Parses option values that System.CommandLine takes as text, with errors that name the option.</summary>
internal static class OptionValues
{
    /// <summary>The member of <typeparamref name="T"/> named <paramref name="text"/> (any case); names only, never numbers.</summary>
    public static T Enum<T>(string text, string option) where T : struct, System.Enum
    {
        string[] names = System.Enum.GetNames<T>();
        string? name = names.FirstOrDefault(n => string.Equals(n, text.Trim(), StringComparison.OrdinalIgnoreCase));
        if (name is null)
        {
            string[] choices = names.Select(n => n.ToLowerInvariant()).ToArray();
            string allowed = choices.Length == 1 ? choices[0] : string.Join(", ", choices[..^1]) + " or " + choices[^1];
            throw new ArgumentException($"{option} must be {allowed}, got '{text}'.");
        }
        return System.Enum.Parse<T>(name);
    }

    /// <summary>Comma-separated integers, each at least 1 (compression rates, context lengths).</summary>
    public static int[] PositiveIntegers(string text, string option)
    {
        try
        {
            int[] values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
            return values.Length > 0 && values.All(v => v >= 1) ? values : throw new FormatException();
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ArgumentException($"{option} must be comma-separated integers >= 1, got '{text}'.");
        }
    }
}
