namespace GmsaSharp.Models;

/// <summary>The LLaMA-family architectures GmsaSharp runs, by their HuggingFace class names.</summary>
public enum DecoderArchitecture
{
    /// <summary><c>LlamaForCausalLM</c>: Llama 2, 3 and 3.x (with llama3 rope scaling), optional attention and MLP biases.</summary>
    Llama,
    /// <summary><c>MistralForCausalLM</c>: Llama blocks with an optional sliding attention window.</summary>
    Mistral,
    /// <summary><c>Qwen2ForCausalLM</c>: biases on q, k and v (not o).</summary>
    Qwen2,
    /// <summary><c>Qwen3ForCausalLM</c>: per-head RMSNorm of q and k before rotary, explicit head_dim.</summary>
    Qwen3,
}
