namespace GmsaSharp.Training;

/// <summary>How the learning rate decays after warm-up.</summary>
public enum LearningRateDecay
{
    /// <summary>Half a cosine from the peak to zero.</summary>
    Cosine,
    /// <summary>A straight line from the peak to zero.</summary>
    Linear,
    /// <summary>The peak until the end.</summary>
    Constant,
}

/// <summary>Linear warm-up from zero to the peak over <see cref="WarmupSteps"/>, then <see cref="Decay"/> to zero at <see cref="TotalSteps"/>.</summary>
internal sealed record LearningRateSchedule(double Peak, int WarmupSteps, int TotalSteps, LearningRateDecay Decay)
{
    /// <summary>The rate for optimizer step <paramref name="step"/> (0-based).</summary>
    public double At(int step)
    {
        if (step < WarmupSteps)
        {
            return Peak * (step + 1) / WarmupSteps;
        }
        double progress = TotalSteps <= WarmupSteps ? 1 : Math.Clamp((double)(step - WarmupSteps) / (TotalSteps - WarmupSteps), 0, 1);
        return Decay switch
        {
            LearningRateDecay.Cosine => Peak * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            LearningRateDecay.Linear => Peak * (1 - progress),
            _ => Peak,
        };
    }
}
