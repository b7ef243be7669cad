using System.Globalization;
using System.Text.RegularExpressions;

namespace GmsaSharp.Synthetic;

/// <summary>
/// Paragraphs unrelated to any person (weather reports, city descriptions, general prose) that stand between
/// biographies, so that a question's answer must be found among text that does not hold it. They name no
/// people, companies, universities or month-day-year dates, so no answer can be read from them.
/// </summary>
internal static partial class FillerParagraphs
{
    private static readonly string[][] Topics =
    [
        [
            "The weather in {city} on {weekday} was {condition}.",
            "Temperatures in {city} reached {temperature} degrees in the afternoon.",
            "A {wind} wind blew across {city} for most of the day.",
            "Forecasters expect {condition} skies over {city} later in the week.",
            "Residents of {city} were advised to carry an umbrella on {weekday}.",
            "The night in {city} was cooler, with lows near {low} degrees.",
            "Humidity stayed around {percent} percent through the evening.",
            "By {weekday} morning the clouds over {city} had begun to clear.",
        ],
        [
            "{city} is known for its {feature} and its {feature}.",
            "Visitors to {city} often spend their time {activity}.",
            "In {season}, {city} is especially busy with travelers.",
            "The old quarter of {city} has narrow streets and small cafes.",
            "Many people in {city} enjoy {activity} on weekends.",
            "A local guide once said that {city} is best seen on foot.",
            "The markets of {city} sell fresh bread, cheese and fruit.",
            "{city} has grown steadily over the last {number} years.",
        ],
        [
            "Gardening is a patient hobby that rewards careful planning.",
            "Tomatoes grow best in warm soil and full sunlight.",
            "A good compost pile needs both green and brown material.",
            "Many gardeners plant {plant} along the edges of their beds.",
            "Watering early in the morning keeps leaves from burning.",
            "In {season}, the first shoots of {plant} appear in the garden.",
            "Pruning old branches helps a shrub grow stronger.",
            "Birds and bees visit gardens that have many kinds of flowers.",
        ],
        [
            "A simple soup starts with onions cooked slowly in butter.",
            "Fresh herbs are best added at the end of cooking.",
            "Bread dough needs time to rise in a warm place.",
            "A pinch of salt brings out the sweetness of {food}.",
            "Many families share a large meal of {food} in {season}.",
            "Roasting vegetables gives them a deep and rich flavor.",
            "Leftover rice can be turned into a quick fried dish.",
            "Good knives make chopping {food} safer and faster.",
        ],
        [
            "The train from {city} leaves every {number} minutes during the day.",
            "Cycling has become a popular way to get around {city}.",
            "The new bridge shortened the trip across the river by {number} minutes.",
            "Buses in {city} run later on {weekday} nights.",
            "Commuters prefer the quiet carriages on early trains.",
            "The harbor of {city} is busy with ferries in {season}.",
            "Road works near the station caused delays on {weekday}.",
            "A map of the tram lines hangs at every stop in {city}.",
        ],
    ];

    private static readonly string[] Weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    private static readonly string[] Conditions = ["sunny", "cloudy", "rainy", "foggy", "windy", "clear", "overcast", "stormy", "mild", "snowy"];
    private static readonly string[] Winds = ["gentle", "steady", "strong", "cold", "warm", "gusty"];
    private static readonly string[] Seasons = ["spring", "summer", "autumn", "winter"];
    private static readonly string[] Features = ["museums", "parks", "bridges", "harbor", "old churches", "food markets", "theaters", "gardens", "river walks", "libraries"];
    private static readonly string[] Activities = ["walking along the river", "visiting museums", "tasting local food", "cycling through the parks", "shopping in the markets", "listening to street music"];
    private static readonly string[] Plants = ["lavender", "marigolds", "sunflowers", "mint", "roses", "tulips", "beans", "garlic"];
    private static readonly string[] Foods = ["tomatoes", "carrots", "apples", "pumpkin", "potatoes", "peppers", "onions", "pears"];

    /// <summary>A paragraph of three to five sentences on one random topic, set in one random city.</summary>
    public static string Create(SeededRandom random, IReadOnlyList<string> cities)
    {
        string[] topic = Topics[random.Next(Topics.Length)];
        var sentences = topic.ToList();
        random.Shuffle(sentences);
        string city = random.Pick(cities);
        int count = random.NextInclusive(3, 5);
        return string.Join(" ", sentences.Take(count).Select(sentence => Fill(sentence, city, random)));
    }

    private static string Fill(string template, string city, SeededRandom random) => Slot().Replace(template, match => match.Groups[1].Value switch
    {
        "city" => city,
        "weekday" => random.Pick(Weekdays),
        "condition" => random.Pick(Conditions),
        "wind" => random.Pick(Winds),
        "season" => random.Pick(Seasons),
        "feature" => random.Pick(Features),
        "activity" => random.Pick(Activities),
        "plant" => random.Pick(Plants),
        "food" => random.Pick(Foods),
        "temperature" => random.NextInclusive(5, 35).ToString(CultureInfo.InvariantCulture),
        "low" => random.NextInclusive(-5, 15).ToString(CultureInfo.InvariantCulture),
        "percent" => random.NextInclusive(30, 95).ToString(CultureInfo.InvariantCulture),
        "number" => random.NextInclusive(5, 40).ToString(CultureInfo.InvariantCulture),
        string slot => throw new InvalidOperationException($"Unknown filler slot '{{{slot}}}' in '{template}'."),
    });

    [GeneratedRegex(@"\{([a-z]+)\}")]
    private static partial Regex Slot();
}
