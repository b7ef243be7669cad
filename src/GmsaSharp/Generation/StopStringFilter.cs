namespace GmsaSharp.Generation;

/// <summary>
/// Streams text while watching for stop strings: text is released only once it can no longer be the
/// start of a stop string, and everything from the first stop string on is withheld.
/// </summary>
internal sealed class StopStringFilter(IReadOnlyList<string> stopStrings)
{
    private string _pending = "";

    /// <summary>True once a stop string has appeared.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds newly decoded text and returns the part that is safe to emit.</summary>
    public string Push(string text)
    {
        if (Stopped)
        {
            return "";
        }
        _pending += text;
        int stopAt = stopStrings.Select(s => _pending.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (stopAt >= 0)
        {
            Stopped = true;
            string before = _pending[..stopAt];
            _pending = "";
            return before;
        }
        int held = stopStrings.Select(HeldBack).DefaultIfEmpty(0).Max();
        string released = _pending[..^held];
        _pending = _pending[^held..];
        return released;
    }

    /// <summary>Returns whatever was held back (generation ended without a stop string).</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }

    // The longest tail of the pending text that is a proper prefix of the stop string.
    private int HeldBack(string stop)
    {
        for (int length = Math.Min(stop.Length - 1, _pending.Length); length > 0; length--)
        {
            if (string.CompareOrdinal(_pending, _pending.Length - length, stop, 0, length) == 0)
            {
                return length;
            }
        }
        return 0;
    }
}
