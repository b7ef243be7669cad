namespace GmsaSharp.Training;

/// <summary>How <see cref="PretrainStage"/> turns its token stream into training sequences.</summary>
public enum PretrainPacking
{
    /// <summary>One stream cut into full-length sequences; records may straddle two sequences.</summary>
    Stream,

    /// <summary>Each EOS-terminated record in its own sequence (padded in the batch); only records longer than a sequence are cut.</summary>
    Records,
}
