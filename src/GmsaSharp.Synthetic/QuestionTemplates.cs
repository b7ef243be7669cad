namespace GmsaSharp.Synthetic;

/// <summary>Paraphrases of the question for each attribute; {name} is the full name of the person asked about.</summary>
internal static class QuestionTemplates
{
    public static readonly IReadOnlyDictionary<PersonAttribute, string[]> Questions = new Dictionary<PersonAttribute, string[]>
    {
        [PersonAttribute.BirthDate] =
        [
            "When was {name} born?",
            "What is the birth date of {name}?",
            "On what date was {name} born?",
            "What is {name}'s date of birth?",
            "Which day was {name} born on?",
        ],
        [PersonAttribute.BirthCity] =
        [
            "Where was {name} born?",
            "What is the birth city of {name}?",
            "In which city was {name} born?",
            "Which city is {name}'s birthplace?",
            "What is {name}'s hometown?",
        ],
        [PersonAttribute.University] =
        [
            "Which university did {name} attend?",
            "Where did {name} study?",
            "What university did {name} graduate from?",
            "At which university was {name} educated?",
            "What is {name}'s alma mater?",
        ],
        [PersonAttribute.Major] =
        [
            "What did {name} major in?",
            "What was {name}'s major?",
            "What field did {name} study?",
            "Which subject did {name} specialize in?",
            "What is {name}'s field of study?",
        ],
        [PersonAttribute.Employer] =
        [
            "Which company does {name} work for?",
            "Who employs {name}?",
            "What is the name of {name}'s employer?",
            "Which company employs {name}?",
            "For which company does {name} work?",
        ],
        [PersonAttribute.EmployerCity] =
        [
            "In which city does {name} work?",
            "Where is {name}'s employer located?",
            "Which city does {name} work in?",
            "What city is {name}'s workplace in?",
            "In what city is {name}'s office?",
        ],
    };
}
