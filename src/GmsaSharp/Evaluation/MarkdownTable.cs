using System.Text;

namespace GmsaSharp.Evaluation;

/// <summary>Renders a GitHub-flavoured Markdown table.</summary>
internal static class MarkdownTable
{
    /// <summary>A header row, a separator and one line per row of cells.</summary>
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = new StringBuilder();
        table.AppendLine("| " + string.Join(" | ", headers) + " |");
        table.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", headers.Count)));
        foreach (IReadOnlyList<string> row in rows)
        {
            if (row.Count != headers.Count)
            {
                throw new ArgumentException($"A row has {row.Count} cells for {headers.Count} columns.", nameof(rows));
            }
            table.AppendLine("| " + string.Join(" | ", row) + " |");
        }
        return table.ToString();
    }
}
