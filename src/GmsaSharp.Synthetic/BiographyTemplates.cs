namespace GmsaSharp.Synthetic;

/// <summary>
/// Paraphrases of the one sentence a biography has per attribute. Many wordings per fact is what lets a model
/// learn to extract the fact rather than memorise one sentence shape (Physics of Language Models 3.1).
/// </summary>
/// <remarks>
/// Placeholders: {V} the value; {S}/{s} the subject at/after the start of a sentence; {P}/{p} the possessive;
/// {o} the object. In the first sentence of a biography they are the full name ("Anna May Cole",
/// "Anna May Cole's"), later the pronoun (She/she, Her/her, her).
/// </remarks>
internal static class BiographyTemplates
{
    public static readonly IReadOnlyDictionary<PersonAttribute, string[]> Sentences = new Dictionary<PersonAttribute, string[]>
    {
        [PersonAttribute.BirthDate] =
        [
            "{S} was born on {V}.",
            "{S} came into the world on {V}.",
            "{P} date of birth is {V}.",
            "{S} entered the world on {V}.",
            "On {V}, {s} was born.",
            "{S} was welcomed into the world on {V}.",
            "{P} life began on {V}.",
            "{S} first saw the light of day on {V}.",
            "According to records, {s} was born on {V}.",
            "{P} parents welcomed {o} on {V}.",
            "It was on {V} that {s} was born.",
        ],
        [PersonAttribute.BirthCity] =
        [
            "{S} was born in {V}.",
            "{P} birthplace is {V}.",
            "{S} is a native of {V}.",
            "{S} hails from {V}.",
            "{S} came into the world in {V}.",
            "{P} hometown is {V}, where {s} was born.",
            "The city of {V} is where {s} was born.",
            "{S} first drew breath in {V}.",
            "It was in {V} that {s} was born.",
            "{S} was born and raised in {V}.",
            "{P} roots are in {V}, the city of {p} birth.",
        ],
        [PersonAttribute.University] =
        [
            "{S} attended {V}.",
            "{S} studied at {V}.",
            "{S} graduated from {V}.",
            "{S} received {p} education at {V}.",
            "{S} is a graduate of {V}.",
            "{P} alma mater is {V}.",
            "{S} earned {p} degree from {V}.",
            "{S} enrolled at {V} after high school.",
            "For {p} university education, {s} went to {V}.",
            "{V} is where {s} completed {p} studies.",
            "{S} spent {p} college years at {V}.",
        ],
        [PersonAttribute.Major] =
        [
            "{S} majored in {V}.",
            "{P} major was {V}.",
            "{S} studied {V} in college.",
            "{S} earned a degree in {V}.",
            "{S} specialized in {V} as a student.",
            "{P} field of study was {V}.",
            "{S} chose {V} as {p} major.",
            "{S} pursued a course of study in {V}.",
            "{S} focused {p} studies on {V}.",
            "{S} graduated with a degree in {V}.",
            "{V} was the subject {s} studied at university.",
        ],
        [PersonAttribute.Employer] =
        [
            "{S} works for {V}.",
            "{S} is employed by {V}.",
            "{S} holds a job at {V}.",
            "{P} employer is {V}.",
            "{S} is on the staff of {V}.",
            "{S} earns a living at {V}.",
            "{S} has a position at {V}.",
            "{V} employs {o}.",
            "Professionally, {s} works at {V}.",
            "{S} pursues {p} career at {V}.",
            "{S} joined {V} and still works there.",
        ],
        [PersonAttribute.EmployerCity] =
        [
            "{S} works in {V}.",
            "{P} workplace is in {V}.",
            "{S} is based in {V} for work.",
            "{S} commutes to an office in {V}.",
            "{P} job is located in {V}.",
            "{P} employer is headquartered in {V}.",
            "{S} works out of an office in {V}.",
            "{V} is the city where {s} works.",
            "{S} reports to the company offices in {V}.",
            "{P} office is in {V}.",
            "Every workday, {s} goes to {p} office in {V}.",
        ],
    };
}
