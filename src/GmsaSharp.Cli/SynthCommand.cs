using System.CommandLine;
using GmsaSharp.Synthetic;
using GmsaSharp.Synthetic.Tokenization;

namespace GmsaSharp.Cli;

/// <summary>`gmsa synth`: the seeded synthetic biography corpus and a byte-level BPE tokenizer trained on it.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Output folder: train/, validation/, test/ (ae.jsonl, qa.jsonl, pretrain.txt) and tokenizer/.", Required = true };
        var seed = new Option<int>("--seed") { Description = "World, document and question seed.", DefaultValueFactory = _ => 1 };
        var people = new Option<int>("--people") { Description = "People in the world (split into disjoint train/validation/test).", DefaultValueFactory = _ => 5000 };
        var trainDocuments = new Option<int>("--train-docs") { Description = "Training documents.", DefaultValueFactory = _ => 2000 };
        var validationDocuments = new Option<int>("--validation-docs") { Description = "Validation documents.", DefaultValueFactory = _ => 100 };
        var testDocuments = new Option<int>("--test-docs") { Description = "Test documents.", DefaultValueFactory = _ => 200 };
        var minBiographies = new Option<int>("--min-bios") { Description = "Fewest biographies per document.", DefaultValueFactory = _ => 4 };
        var maxBiographies = new Option<int>("--max-bios") { Description = "Most biographies per document.", DefaultValueFactory = _ => 8 };
        var maxCharacters = new Option<int?>("--max-chars") { Description = "Cap on document length in characters." };
        var filler = new Option<double>("--filler") { Description = "Unrelated filler paragraphs per biography.", DefaultValueFactory = _ => 0.5 };
        var nameEverySentence = new Option<bool>("--name-every-sentence") { Description = "Name the person in full in every sentence of a biography, not only the first (then pronouns)." };
        var questions = new Option<int>("--questions-per-doc") { Description = "Questions per document.", DefaultValueFactory = _ => 4 };
        var employerCities = new Option<string>("--employer-cities")
        {
            Description = "per-company: each company has one city for the whole world (a model trained on it can recall employer cities); per-person: drawn per person, so they can only be read.",
            DefaultValueFactory = _ => "per-company",
        };
        var vocabulary = new Option<int>("--vocab") { Description = "Tokenizer vocabulary size (0: no tokenizer).", DefaultValueFactory = _ => 2048 };
        var command = new Command("synth", "Write the synthetic biography corpus and train its tokenizer.")
            { output, seed, people, trainDocuments, validationDocuments, testDocuments, minBiographies, maxBiographies, maxCharacters, filler, nameEverySentence, questions, employerCities, vocabulary };
        command.SetAction((result, cancellationToken) => CliErrors.Run(() =>
        {
            string folder = result.GetValue(output)!;
            var options = new SyntheticCorpusOptions
            {
                Seed = result.GetValue(seed),
                PeopleCount = result.GetValue(people),
                EmployerCities = result.GetValue(employerCities) switch
                {
                    "per-company" => EmployerCities.PerCompany,
                    "per-person" => EmployerCities.PerPerson,
                    var other => throw new ArgumentException($"--employer-cities must be per-company or per-person, got '{other}'."),
                },
                TrainDocuments = result.GetValue(trainDocuments),
                ValidationDocuments = result.GetValue(validationDocuments),
                TestDocuments = result.GetValue(testDocuments),
                QuestionsPerDocument = result.GetValue(questions),
                Documents = new DocumentOptions
                {
                    MinBiographies = result.GetValue(minBiographies),
                    MaxBiographies = result.GetValue(maxBiographies),
                    MaxCharacters = result.GetValue(maxCharacters),
                    FillerParagraphsPerBiography = result.GetValue(filler),
                    NameEverySentence = result.GetValue(nameEverySentence),
                },
            };
            foreach (SyntheticSplitCounts split in SyntheticCorpus.Write(folder, options, cancellationToken))
            {
                Console.WriteLine($"{split.Name}: {split.People} people, {split.Documents} documents, {split.QaItems} questions, {split.PretrainingCharacters:N0} pretraining characters");
            }
            int size = result.GetValue(vocabulary);
            if (size > 0)
            {
                string text = File.ReadAllText(Path.Combine(folder, "train", "pretrain.txt"));
                TrainedBpeTokenizer tokenizer = BpeTrainer.Train([text], size, [options.EndOfTextToken], cancellationToken);
                tokenizer.Save(Path.Combine(folder, "tokenizer"));
                Console.WriteLine($"tokenizer: {tokenizer.VocabularySize} tokens in {Path.Combine(folder, "tokenizer")}");
            }
            return Task.FromResult(0);
        }));
        return command;
    }
}
