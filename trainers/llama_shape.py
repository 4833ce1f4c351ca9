"""A Llama model's shape: its parameter count and nanotron's model FLOPs per token.

FLOPs follow nanotron's ``get_flops`` (``src/nanotron/models/llama.py`` at the pinned commit):
3 x the forward matmul FLOPs (1 forward + 2 backward), full S^2 attention scores with no causal
halving, the lm_head counted, the input embedding not. Model FLOPs utilisation is
``tokens/s x flops_per_token / peak``, with the peaks below (dense bf16, vendor datasheets).
"""

from __future__ import annotations

from dataclasses import dataclass

# Dense bf16 peak FLOP/s. The H200 is the H100 SXM's chip with more memory: the same compute peak.
PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12}


@dataclass(frozen=True)
class LlamaShape:
    """The sizes that fix a Llama model's parameters and FLOPs."""

    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    vocab_size: int
    tie_embeddings: bool = False

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads

    def parameters(self) -> int:
        """Weights: per layer q and o (h x h), k and v (h x kv-heads x head dim), SwiGLU (3 h F) and two norms; embeddings; final norm."""
        h, kv = self.hidden_size, self.num_kv_heads * self.head_dim
        per_layer = 2 * h * h + 2 * h * kv + 3 * h * self.intermediate_size + 2 * h
        embeddings = self.vocab_size * h * (1 if self.tie_embeddings else 2)
        return self.num_layers * per_layer + embeddings + h

    def flops_per_token(self, seq_len: int) -> float:
        """nanotron's model FLOPs for one token of a ``seq_len`` sequence, forward and backward."""
        h, layers, d = self.hidden_size, self.num_layers, self.head_dim
        qkv = 2 * h * (self.num_heads + 2 * self.num_kv_heads) * d
        attention = 2 * self.num_heads * d * seq_len * 2  # q.k scores and weights.v, over the whole sequence
        attention_out = 2 * self.num_heads * d * h
        mlp = 4 * h * self.intermediate_size + 2 * self.intermediate_size * h
        lm_head = 2 * h * self.vocab_size
        return 3.0 * (layers * (qkv + attention + attention_out + mlp) + lm_head)


def mfu(tokens_per_second: float, flops_per_token: float, peak_flops: float) -> float:
    """Model FLOPs utilisation: achieved model FLOP/s over the device's peak."""
    return tokens_per_second * flops_per_token / peak_flops
