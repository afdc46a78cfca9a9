"""Multi-head attention through ``scaled_dot_product_attention``, batch first.

The same maths and the same parameters (``in_proj_weight``, ``in_proj_bias``,
``out_proj``) as ``torch.nn.MultiheadAttention(embed_dim, num_heads, dropout,
batch_first=True)``, so checkpoints of either load into the other, but without its
detour through sequence-first tensors: ``nn.MultiheadAttention`` transposes a batch-first
query to ``(L, B, E)`` and projects that non-contiguous view, which under CPU bf16
autocast becomes a ``bmm`` against the weight expanded ``L`` times, copied each call
(measured: half of TMCA's bf16 inference time went to those copies). Here the
projections read contiguous ``(B, L, E)`` tensors and the attention is one fused
``F.scaled_dot_product_attention`` call (flash attention on CPU and CUDA).
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class MultiheadAttention(nn.Module):
    """Batch-first multi-head attention; a drop-in for ``nn.MultiheadAttention``'s
    ``batch_first=True`` use without attention weights.

    Args:
        embed_dim: width E of queries, keys, values and output.
        num_heads: heads (E must divide by it).
        dropout: dropout on the attention probabilities (training only).
        bias: biases on the projections.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 bias: bool = True) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f'MultiheadAttention: embed_dim {embed_dim} does not divide '
                             f'into {num_heads} heads')
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """As ``nn.MultiheadAttention``: Xavier-uniform projections, zero biases."""
        nn.init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    def _heads(self, x: Tensor) -> Tensor:
        batch, length, _ = x.shape
        return x.reshape(batch, length, self.num_heads, -1).transpose(1, 2)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Optional[Tensor] = None) -> Tensor:
        """``(B, Lq, E)``, ``(B, Lk, E)``, ``(B, Lk, E)`` -> ``(B, Lq, E)``.

        ``key_padding_mask`` (B, Lk): ``True`` where a key is padding (ignored), as
        ``nn.MultiheadAttention``.
        """
        weights = self.in_proj_weight.chunk(3)
        biases = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
        q, k, v = (self._heads(F.linear(x.contiguous(), w, b))
                   for x, w, b in zip((query, key, value), weights, biases))
        mask = None
        if key_padding_mask is not None:
            mask = ~key_padding_mask.bool()[:, None, None, :]
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0)
        batch, _, length, _ = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(batch, length, self.embed_dim))
