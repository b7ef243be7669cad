namespace GmsaSharp.Evaluation;

/// <summary>A ROUGE score as rouge-score reports it, each value from 0 to 1.</summary>
/// <param name="Precision">Matched tokens over prediction tokens.</param>
/// <param name="Recall">Matched tokens over reference tokens.</param>
/// <param name="FMeasure">The harmonic mean of precision and recall (beta = 1); 0 when both are 0.</param>
public sealed record RougeScore(double Precision, double Recall, double FMeasure);
