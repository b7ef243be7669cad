namespace GmsaSharp.Cli;

/// <summary>Turns the errors a user can cause (bad arguments, bad files) into a message and exit code 2,
/// leaving real bugs to crash with a stack trace.</summary>
internal static class CliErrors
{
    public static async Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or InvalidDataException
            or NotSupportedException or FormatException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {UserMessage(e)}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    /// <summary>The message without what .NET appends for programmers (" (Parameter 'rate')", "Actual value was 0."):
    /// the library's messages already name the option and value in the project's words.</summary>
    public static string UserMessage(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentOutOfRangeException { ActualValue: { } actual })
        {
            message = message.Replace($"{Environment.NewLine}Actual value was {actual}.", "", StringComparison.Ordinal);
        }
        if (e is ArgumentException { ParamName: { } name })
        {
            message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
        }
        return message;
    }

    public static int[] ParseTokenIds(string text)
    {
        try
        {
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(part => int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new ArgumentException($"--token-ids must be comma-separated integers, got '{text}'.");
        }
    }
}
