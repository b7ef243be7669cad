using System.Text;
using System.Text.RegularExpressions;

namespace GmsaSharp.Synthetic;

/// <summary>
/// Writes a person's biography as one paragraph: one sentence per attribute, each from a random paraphrase, in
/// random order. The first sentence names the person in full; every other reference is a pronoun, unless
/// <c>nameEverySentence</c> asks for the full name at the first reference of every sentence.
/// </summary>
internal static partial class BiographyRenderer
{
    public static string Render(Person person, SeededRandom random, bool nameEverySentence = false)
    {
        var attributes = Enum.GetValues<PersonAttribute>().ToList();
        random.Shuffle(attributes);
        var paragraph = new StringBuilder();
        for (int i = 0; i < attributes.Count; i++)
        {
            string template = random.Pick(BiographyTemplates.Sentences[attributes[i]]);
            if (i > 0)
            {
                paragraph.Append(' ');
            }
            paragraph.Append(Fill(template, person, person.ValueOf(attributes[i]), introducesPerson: i == 0 || nameEverySentence));
        }
        return paragraph.ToString();
    }

    /// <summary>
    /// Fills one template. When it names the person, only its first reference is the full name, so that
    /// "{S} earned {p} degree" reads "Anna May Cole earned her degree".
    /// </summary>
    private static string Fill(string template, Person person, string value, bool introducesPerson)
    {
        bool female = person.Gender == Gender.Female;
        bool nameUsed = !introducesPerson;
        return Placeholder().Replace(template, match =>
        {
            char kind = match.Groups[1].Value[0];
            if (kind == 'V')
            {
                return value;
            }
            if (!nameUsed)
            {
                nameUsed = true;
                return kind is 'P' or 'p' ? person.FullName + "'s" : person.FullName;
            }
            return kind switch
            {
                'S' => female ? "She" : "He",
                's' => female ? "she" : "he",
                'P' => female ? "Her" : "His",
                'p' => female ? "her" : "his",
                _ => female ? "her" : "him",
            };
        });
    }

    [GeneratedRegex(@"\{([SsPpoV])\}")]
    private static partial Regex Placeholder();
}
