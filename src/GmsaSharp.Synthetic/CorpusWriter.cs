using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace GmsaSharp.Synthetic;

/// <summary>
/// Writes documents and questions in the GMSA reference formats: JSONL with <c>{"input"}</c> for autoencoding
/// and <c>{"input", "prompt", "answer"}</c> for QA, and plain text for language-model pretraining. Files are
/// UTF-8 without BOM with "\n" line ends, so a seed gives the same bytes on every OS.
/// </summary>
public static class CorpusWriter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    // Only JSON's required escapes: the text is plain prose, and \u0027 for every apostrophe hurts readability.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes one <c>{"input": document}</c> line per document; returns the line count.</summary>
    public static int WriteJsonl(string path, IEnumerable<SyntheticDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return WriteLines(path, documents, (json, document) => json.WriteString("input", document.Text));
    }

    /// <summary>
    /// Writes one <c>{"input": document, "prompt": question, "answer": answer, "attribute": ..., "biographies": n,
    /// "biography": k}</c> line per item; returns the line count. The last three say what kind of question it is
    /// (the attribute asked for, in snake case; how many biographies the document holds; which of them, from 1, is
    /// the asked person's), so that <c>gmsa eval --group-by</c> can split accuracy by them. Readers of the reference
    /// schema ignore them.
    /// </summary>
    public static int WriteJsonl(string path, IEnumerable<QaItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return WriteLines(path, items, (json, item) =>
        {
            json.WriteString("input", item.Document.Text);
            json.WriteString("prompt", item.Question);
            json.WriteString("answer", item.Answer);
            json.WriteString("attribute", AttributeName(item.Attribute));
            json.WriteNumber("biographies", item.Document.People.Count);
            json.WriteNumber("biography", BiographyNumber(item));
        });
    }

    /// <summary>The attribute's name in QA files: <see cref="PersonAttribute.BirthDate"/> is "birth_date".</summary>
    public static string AttributeName(PersonAttribute attribute) => attribute switch
    {
        PersonAttribute.BirthDate => "birth_date",
        PersonAttribute.BirthCity => "birth_city",
        PersonAttribute.University => "university",
        PersonAttribute.Major => "major",
        PersonAttribute.Employer => "employer",
        PersonAttribute.EmployerCity => "employer_city",
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute, "Unknown person attribute."),
    };

    private static int BiographyNumber(QaItem item)
    {
        int index = item.Document.People.ToList().IndexOf(item.Person);
        return index >= 0 ? index + 1 : throw new ArgumentException($"The question about {item.Person.FullName} is not about a person of its document.", nameof(item));
    }

    /// <summary>Writes one <c>{"input": document, "prompt": instruction, "answer": document}</c> line per document; returns the line count.</summary>
    public static int WriteRestatements(string path, IEnumerable<SyntheticDocument> documents, string instruction)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return WriteRepetitions(path, documents.Select(document => document.Text), instruction);
    }

    /// <summary>Writes one <c>{"input": text, "prompt": instruction, "answer": text}</c> line per text; returns the line count.</summary>
    public static int WriteRepetitions(string path, IEnumerable<string> texts, string instruction)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentException.ThrowIfNullOrEmpty(instruction);
        return WriteLines(path, texts, (json, text) =>
        {
            json.WriteString("input", text);
            json.WriteString("prompt", instruction);
            json.WriteString("answer", text);
        });
    }

    /// <summary>
    /// Writes pretraining text: for each document, <see cref="PretrainingRecord"/> followed by
    /// <paramref name="endOfText"/>, with nothing in between, so splitting the file on <paramref name="endOfText"/>
    /// gives the records back. Returns the number of characters written.
    /// </summary>
    public static long WritePretrainingText(string path, IEnumerable<SyntheticDocument> documents, IEnumerable<QaItem> items, string endOfText)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentException.ThrowIfNullOrEmpty(endOfText);
        ILookup<SyntheticDocument, QaItem> itemsByDocument = items.ToLookup<QaItem, SyntheticDocument>(item => item.Document, ReferenceEqualityComparer.Instance);
        using var writer = new StreamWriter(path, append: false, Utf8);
        long characters = 0;
        foreach (SyntheticDocument document in documents)
        {
            string record = PretrainingRecord(document, itemsByDocument[document]) + endOfText;
            writer.Write(record);
            characters += record.Length;
        }
        return characters;
    }

    /// <summary>
    /// A document followed by its questions answered in full context:
    /// "document\n\nQuestion: q1\nAnswer: a1\nQuestion: q2\nAnswer: a2" (no questions: the document alone).
    /// </summary>
    public static string PretrainingRecord(SyntheticDocument document, IEnumerable<QaItem> items)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(items);
        var record = new StringBuilder(document.Text);
        string separator = "\n\n";
        foreach (QaItem item in items)
        {
            record.Append(separator).Append("Question: ").Append(item.Question).Append("\nAnswer: ").Append(item.Answer);
            separator = "\n";
        }
        return record.ToString();
    }

    private static int WriteLines<T>(string path, IEnumerable<T> records, Action<Utf8JsonWriter, T> writeFields)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var json = new Utf8JsonWriter(stream, JsonOptions);
        int count = 0;
        foreach (T record in records)
        {
            json.WriteStartObject();
            writeFields(json, record);
            json.WriteEndObject();
            json.Flush();
            json.Reset();
            stream.WriteByte((byte)'\n');
            count++;
        }
        return count;
    }
}
