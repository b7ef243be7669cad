using GmsaSharp.Compression;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>What the GMSA stages share: the compressor, the rates drawn per sample, and freezing.</summary>
public abstract class CompressorStage
{
    /// <summary>Freezes every base and compressor weight except <paramref name="trainable"/>.</summary>
    private protected CompressorStage(GmsaCompressor compressor, IReadOnlyList<int> rates, IEnumerable<(string Name, Parameter Parameter)> trainable)
    {
        if (rates.Count == 0 || rates.Any(rate => rate < 1))
        {
            throw new ArgumentException($"Compression rates must be a non-empty set of integers >= 1, got [{string.Join(", ", rates)}].", nameof(rates));
        }
        Compressor = compressor;
        Rates = rates.Distinct().Order().ToArray();
        foreach (Parameter parameter in compressor.Model.parameters().Concat(compressor.parameters()))
        {
            parameter.requires_grad = false;
        }
        Trainable = trainable.ToList();
        foreach ((_, Parameter parameter) in Trainable)
        {
            parameter.requires_grad = true;
        }
    }

    /// <summary>The compressor's own weights, the encoder LoRA and the LSA blocks, by their checkpoint names.</summary>
    private protected static IEnumerable<(string Name, Parameter Parameter)> CompressorParameters(GmsaCompressor compressor) =>
        compressor.EncoderLora.named_parameters().Select(p => ("encoder_lora." + p.name, p.parameter))
            .Concat(compressor.Lsa.named_parameters().Select(p => ("lsa." + p.name, p.parameter)));

    /// <summary>The compressor being trained.</summary>
    private protected GmsaCompressor Compressor { get; }

    /// <summary>The base decoder.</summary>
    private protected CausalLM Lm => Compressor.Model;

    /// <summary>The rates a sample's rate is drawn from.</summary>
    public IReadOnlyList<int> Rates { get; }

    /// <summary>The trainable parameters, by name within the compressor.</summary>
    private protected List<(string Name, Parameter Parameter)> Trainable { get; }

    /// <summary>The rate of the sample at stream position <paramref name="position"/>: uniform over <see cref="Rates"/>, fixed by the seed.</summary>
    public int RateAt(long seed, long position) => Rates[EpochSampler.For(seed, position).Next(Rates.Count)];

    /// <summary>The micro-batch loss: per-sample summed losses (from <paramref name="sampleLoss"/> at each stream
    /// position) added up and divided by all predicted tokens.</summary>
    private protected static (Tensor Loss, long Tokens) BatchLoss(long index, int batchSize, Func<long, (Tensor SummedLoss, long Tokens)> sampleLoss)
    {
        Tensor? total = null;
        long tokens = 0;
        for (int j = 0; j < batchSize; j++)
        {
            (Tensor loss, long count) = sampleLoss(index * batchSize + j);
            total = total is null ? loss : total.Plus(loss);
            tokens += count;
        }
        using Scalar predicted = tokens.ToScalar();
        return (total! / predicted, tokens);
    }

    /// <summary>The summed loss of restating <paramref name="context"/> (one encoder window) from its soft tokens at
    /// <paramref name="rate"/>: the decoder, without adapters, reads [soft tokens][<paramref name="instruction"/>] and
    /// must produce the context, then <paramref name="eos"/>; with the number of tokens predicted.</summary>
    private protected (Tensor SummedLoss, long Tokens) RestatementLoss(int[] context, int rate, Tensor instruction, int eos)
    {
        Tensor soft = Compressor.AutoencoderSoftTokens(context, rate).unsqueeze(0);
        Tensor prefix = cat([soft, Lm.Embed(instruction)], 1);
        return (DecoderLoss.TargetAfterPrefix(Lm, prefix, [.. context, eos], adapters: null), context.Length + 1);
    }

    /// <summary>The autoencoding instruction's token ids as a [1, n] tensor.</summary>
    private protected Tensor InstructionTensor(IReadOnlyList<int> instruction) =>
        tensor(instruction.Select(id => (long)id).ToArray(), dtype: ScalarType.Int64).unsqueeze(0);

    /// <summary>Records the rates and writes the GMSA checkpoint folder.</summary>
    public void SaveArtifact(string directory)
    {
        Compressor.RecordTrainedRates(Rates);
        Compressor.SavePretrained(directory);
    }
}
