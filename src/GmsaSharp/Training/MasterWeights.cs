using GmsaSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>
/// fp32 master copies of trainable parameters that compute in bf16 or fp16 (there is no autocast in
/// TorchSharp): gradients are accumulated into the fp32 copy after every backward pass, the optimizer
/// updates the fp32 copy, and the result is rounded back into the model. fp32 parameters are their own master.
/// </summary>
internal sealed class MasterWeights : IDisposable
{
    private readonly List<(string Name, Parameter Model, Parameter Master)> _pairs = [];

    /// <summary>Masters for <paramref name="parameters"/>, which are made to require gradients.</summary>
    public MasterWeights(IEnumerable<(string Name, Parameter Parameter)> parameters)
    {
        using var noGrad = no_grad();
        foreach ((string name, Parameter parameter) in parameters)
        {
            parameter.requires_grad = true;
            Parameter master = parameter.dtype == ScalarType.Float32
                ? parameter
                : new Parameter(parameter.detach().to(ScalarType.Float32).clone(), requires_grad: true);
            _pairs.Add((name, parameter, master));
        }
    }

    /// <summary>The fp32 tensors the optimizer updates, by name.</summary>
    public IEnumerable<(string Name, Parameter Master)> Masters => _pairs.Select(p => (p.Name, p.Master));

    /// <summary>Moves the low-precision gradients just computed into the fp32 masters.</summary>
    public void CollectGradients()
    {
        using var noGrad = no_grad();
        foreach ((_, Parameter model, Parameter master) in _pairs)
        {
            if (ReferenceEquals(model, master) || model.grad is not { } gradient)
            {
                continue;
            }
            using Tensor fp32 = gradient.to(ScalarType.Float32);
            if (master.grad is { } accumulated)
            {
                accumulated.PlusInPlace(fp32);
            }
            else
            {
                master.grad = fp32.clone();
            }
            model.grad = null;
        }
    }

    /// <summary>Rounds the updated masters back into the model's parameters.</summary>
    public void PublishToModel()
    {
        using var noGrad = no_grad();
        foreach ((_, Parameter model, Parameter master) in _pairs)
        {
            if (!ReferenceEquals(model, master))
            {
                model.copy_(master);
            }
        }
    }

    /// <summary>Loads masters (and the model) from named fp32 tensors, as saved by a checkpoint.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        using var noGrad = no_grad();
        foreach ((string name, Parameter _, Parameter master) in _pairs)
        {
            if (!tensors.TryGetValue(name, out Tensor? stored))
            {
                throw new InvalidDataException($"Checkpoint '{source}' lacks trainable tensor '{name}'.");
            }
            if (!stored.shape.SequenceEqual(master.shape))
            {
                throw new InvalidDataException($"Checkpoint '{source}': tensor '{name}' has shape [{string.Join(", ", stored.shape)}], expected [{string.Join(", ", master.shape)}].");
            }
            master.copy_(stored);
        }
        PublishToModel();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach ((_, Parameter model, Parameter master) in _pairs)
        {
            if (!ReferenceEquals(model, master))
            {
                master.Dispose();
            }
        }
        _pairs.Clear();
    }
}
