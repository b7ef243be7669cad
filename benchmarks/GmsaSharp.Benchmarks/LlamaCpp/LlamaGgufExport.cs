using System.Runtime.InteropServices;
using GmsaSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Benchmarks.LlamaCpp;

/// <summary>
/// Writes a Llama or Mistral <see cref="CausalLM"/> as a GGUF that llama.cpp runs as its "llama" architecture,
/// so both engines read the same weights. HF's checkpoints rotate q and k in the rotate-half order (pairs i and
/// i + d/2); llama.cpp's "llama" rope rotates adjacent pairs (2i, 2i + 1), so the rows of q_proj and k_proj are
/// permuted per head as llama.cpp's converter does, which leaves q·k, and so the logits, unchanged.
/// Norms stay f32 (llama.cpp's converter keeps 1-D tensors f32); the matrices are written in <c>weightType</c>.
/// </summary>
public static class LlamaGgufExport
{
    // llama.cpp's general.file_type (llama_ftype) for each weight type.
    private static uint FileType(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.Q8_0 => 7,
        GgmlType.BF16 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported weight type."),
    };

    /// <summary>Writes <paramref name="lm"/> with the tokenizer of <paramref name="tokenizerDirectory"/> to <paramref name="path"/>.</summary>
    public static void Write(CausalLM lm, string tokenizerDirectory, string path, GgmlType weightType)
    {
        DecoderConfig config = lm.Config;
        CheckSupported(config);
        ByteLevelBpeVocabulary vocabulary = ByteLevelBpeVocabulary.Load(tokenizerDirectory, config.VocabSize);

        var gguf = new GgufWriter();
        gguf.Add("general.architecture", "llama");
        gguf.Add("general.name", Path.GetFileNameWithoutExtension(path));
        gguf.Add("general.file_type", FileType(weightType));
        gguf.Add("llama.vocab_size", (uint)config.VocabSize);
        gguf.Add("llama.context_length", (uint)config.MaxPositionEmbeddings);
        gguf.Add("llama.embedding_length", (uint)config.HiddenSize);
        gguf.Add("llama.block_count", (uint)config.Layers);
        gguf.Add("llama.feed_forward_length", (uint)config.IntermediateSize);
        gguf.Add("llama.attention.head_count", (uint)config.Heads);
        gguf.Add("llama.attention.head_count_kv", (uint)config.KvHeads);
        // Explicit, because head_dim need not be hidden / heads (Mistral Nemo, Qwen3 style configs).
        gguf.Add("llama.attention.key_length", (uint)config.HeadDim);
        gguf.Add("llama.attention.value_length", (uint)config.HeadDim);
        gguf.Add("llama.rope.dimension_count", (uint)config.HeadDim);
        gguf.Add("llama.rope.freq_base", (float)config.RopeTheta);
        gguf.Add("llama.attention.layer_norm_rms_epsilon", (float)config.RmsNormEps);

        gguf.Add("tokenizer.ggml.model", "gpt2");
        gguf.Add("tokenizer.ggml.pre", vocabulary.PreTokenizer);
        gguf.Add("tokenizer.ggml.tokens", vocabulary.Tokens);
        gguf.Add("tokenizer.ggml.token_type", vocabulary.TokenTypes);
        gguf.Add("tokenizer.ggml.merges", vocabulary.Merges);
        if (vocabulary.BosId is { } bos)
        {
            gguf.Add("tokenizer.ggml.bos_token_id", (uint)bos);
        }
        if ((config.EosTokenIds.Count > 0 ? config.EosTokenIds[0] : vocabulary.EosId) is { } eos)
        {
            gguf.Add("tokenizer.ggml.eos_token_id", (uint)eos);
        }
        gguf.Add("tokenizer.ggml.add_bos_token", vocabulary.AddBos);
        gguf.Add("tokenizer.ggml.add_eos_token", false);

        using (no_grad())
        {
            // The model's own parameters (not copies): read, never disposed here.
            Dictionary<string, Tensor> weights = lm.state_dict();
            Tensor Weight(string name) => weights.TryGetValue(name, out Tensor? tensor)
                ? tensor
                : throw new InvalidOperationException($"The model has no tensor '{name}'.");

            AddMatrix(gguf, "token_embd.weight", Weight("model.embed_tokens.weight"), weightType);
            AddNorm(gguf, "output_norm.weight", Weight("model.norm.weight"));
            // A tied model has no output.weight: llama.cpp then projects with token_embd, as HF does.
            if (!config.TieWordEmbeddings)
            {
                AddMatrix(gguf, "output.weight", Weight("lm_head.weight"), weightType);
            }
            for (int layer = 0; layer < config.Layers; layer++)
            {
                string hf = $"model.layers.{layer}.", blk = $"blk.{layer}.";
                AddNorm(gguf, blk + "attn_norm.weight", Weight(hf + "input_layernorm.weight"));
                using (Tensor q = RotateHalfToPairs(Weight(hf + "self_attn.q_proj.weight"), config.Heads))
                {
                    AddMatrix(gguf, blk + "attn_q.weight", q, weightType);
                }
                using (Tensor k = RotateHalfToPairs(Weight(hf + "self_attn.k_proj.weight"), config.KvHeads))
                {
                    AddMatrix(gguf, blk + "attn_k.weight", k, weightType);
                }
                AddMatrix(gguf, blk + "attn_v.weight", Weight(hf + "self_attn.v_proj.weight"), weightType);
                AddMatrix(gguf, blk + "attn_output.weight", Weight(hf + "self_attn.o_proj.weight"), weightType);
                AddNorm(gguf, blk + "ffn_norm.weight", Weight(hf + "post_attention_layernorm.weight"));
                AddMatrix(gguf, blk + "ffn_gate.weight", Weight(hf + "mlp.gate_proj.weight"), weightType);
                AddMatrix(gguf, blk + "ffn_up.weight", Weight(hf + "mlp.up_proj.weight"), weightType);
                AddMatrix(gguf, blk + "ffn_down.weight", Weight(hf + "mlp.down_proj.weight"), weightType);
            }
        }
        gguf.Write(path);
    }

    // What llama.cpp's "llama" architecture computes; anything else would give a GGUF that silently disagrees.
    private static void CheckSupported(DecoderConfig config)
    {
        var problems = new List<string>();
        if (config.Architecture is not (DecoderArchitecture.Llama or DecoderArchitecture.Mistral))
        {
            problems.Add($"architecture {config.Architecture} (supported: Llama, Mistral)");
        }
        if (config.QkvBias || config.OutputBias || config.MlpBias)
        {
            problems.Add("projection biases");
        }
        if (config.QkNorm)
        {
            problems.Add("q/k norms");
        }
        if (config.RopeScaling is not null)
        {
            problems.Add("llama3 rope scaling");
        }
        if (config.SlidingWindow is not null)
        {
            problems.Add($"a sliding window of {config.SlidingWindow}");
        }
        if (problems.Count > 0)
        {
            throw new NotSupportedException($"The GGUF writer cannot export a model with {string.Join(", ", problems)}.");
        }
    }

    /// <summary>
    /// Reorders the rows of a q or k projection [heads * head_dim, in] within each head from HF's rotate-half
    /// order (first halves, then second halves) to interleaved pairs: row 2i takes row i, row 2i + 1 takes row i + d/2.
    /// </summary>
    public static Tensor RotateHalfToPairs(Tensor weight, int heads)
    {
        long rows = weight.shape[0], columns = weight.shape[1];
        long headDim = rows / heads;
        return weight.reshape(heads, 2, headDim / 2, columns).transpose(1, 2).reshape(rows, columns).contiguous();
    }

    private static void AddNorm(GgufWriter gguf, string name, Tensor weight) =>
        gguf.AddTensor(name, weight.shape, GgmlType.F32, Bytes(weight, GgmlType.F32));

    private static void AddMatrix(GgufWriter gguf, string name, Tensor weight, GgmlType type) =>
        gguf.AddTensor(name, weight.shape, type, Bytes(weight, type));

    // The tensor's values in the type's layout, row-major.
    private static byte[] Bytes(Tensor weight, GgmlType type)
    {
        using var scope = NewDisposeScope();
        Tensor cpu = weight.detach().cpu();
        switch (type)
        {
            case GgmlType.F32:
                return cpu.to(ScalarType.Float32).contiguous().bytes.ToArray();
            case GgmlType.F16:
                return cpu.to(ScalarType.Float16).contiguous().bytes.ToArray();
            case GgmlType.BF16:
                return cpu.to(ScalarType.BFloat16).contiguous().bytes.ToArray();
            case GgmlType.Q8_0:
                byte[] values = cpu.to(ScalarType.Float32).contiguous().bytes.ToArray();
                return Q8Block.Quantize(MemoryMarshal.Cast<byte, float>(values));
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported weight type.");
        }
    }
}
