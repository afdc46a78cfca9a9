"""LERG: SGSeg's localization-enhanced report generator (a DETR-style zone detector).

SGSeg (Ye et al., "Enabling Text-free Inference in Language-guided Segmentation of
Chest X-rays via Self-guidance", MICCAI 2024; ``ShuchangYe-bib/SGSeg``
``utils/rtdetr.py``, ``utils/model.py`` ``DetectModel``) predicts where the lesions are
so that a templated report can replace the caption at inference. A detector (paper:
RT-DETR with a ResNet-50 backbone) gives ``N`` object queries ``X`` (B, N, D) from its
last decoder layer; the location attention aggregator pools them with one learned
query ``q`` (D,),

    ``A = softmax_N(X q^T)^T X``    (B, D),

and a Linear maps ``A`` to 6 logits [L-upper, L-middle, L-lower, R-upper, R-middle,
R-lower] trained with BCE against the location pseudo-labels of the caption
(``CaptionToLocationLabels``; "left"/"right" are image sides). Pipeline here: timm
backbone S3/S4/S5 (strides 8/16/32) -> RT-DETR hybrid encoder (AIFI + CCFM,
``hybrid_encoder.py``) -> query decoder -> aggregator -> Linear. Defaults are
RT-DETR-R50's (hidden 256, 300 queries, 6 decoder layers, 8 heads, FFN 1024, 1 AIFI
layer, dropout 0).

Where we differ from RT-DETR and from the authors' code, and why:

- **Decoder: plain DETR, not deformable.** RT-DETR's decoder selects its 300 queries
  as the encoder's top-k tokens (scored by an encoder class head), starts from boxes
  predicted for them, and refines the boxes layer by layer while multi-scale
  deformable attention samples 4 points per head and level around each box. All of
  that is trained by box and class losses; QaTa has no boxes and LERG is trained with
  the BCE alone. In the authors' code the top-k indices are not differentiable, the
  selected query features and every reference box are detached during training, so
  the encoder score head, the box heads and hence the query selection and sampling
  locations get no gradient at all: they stay at the COCO ``rtdetr-l.pt`` values the
  code downloads. Started from random weights (nothing downloads here) they would
  stay random, so there is no meaningful reference-point scheme to train. We use a
  DETR decoder instead: ``num_queries`` learned content embeddings plus learned
  query positions; per layer self-attention (positions on queries and keys),
  cross-attention to the flattened multi-scale memory (keys carry a 2D sin-cos
  position of their level plus a learned level embedding; values carry none), and a
  ReLU FFN; **post-norm** (as DETR and RT-DETR's decoder layers), dropout 0. Every
  parameter of it is reached by the BCE.
- **Backbone.** The paper names ResNet-50 (RT-DETR-R50 uses ResNet-50-vd with frozen
  BN and ImageNet weights); the authors' code in fact builds RT-DETR-L (HGNetv2) from
  ultralytics with COCO weights. Default here: timm ``resnet50`` (``'resnet50d'`` is
  the vd variant) through :class:`TimmFeatures`, random init and trainable BN, or a
  local ImageNet file via ``backbone=dict(pretrained_path=...)``. Same channels
  (512/1024/2048) as both.
- **Aggregator init.** The authors draw ``q ~ N(0, 1)``; with post-norm queries (unit
  variance per channel) the scores ``X q^T`` then have std ~``sqrt(D)`` = 16 and the
  softmax over 300 queries starts almost one-hot. Default here ``std = D ** -0.5``
  (score std ~1); ``aggregator_init_std=1.0`` is the authors'. Scores are unscaled dot
  products as in the equation and the code.
- **Loss.** The code applies ``sigmoid`` then ``nn.BCELoss`` (mean); we return logits
  and use ``binary_cross_entropy_with_logits`` (same value, stable). The code adds it
  1:1 to the segmentation loss after a contrastive warm-up; that is the segmentor's
  business.

Option (ours): ``in_channels=(...)`` builds LERG without a backbone; it then reads
feature maps it is given (strides doubling level to level), e.g. the levels of the
segmentor's own image encoder (``SelfGuidedSegmentor(report_levels=...)``), which the
segmentation loss already trains to find the lesions. The paper's LERG has its own
backbone; measured on QaTa-COV19 at a CPU budget, its zones were barely better than
the label prior (docs/results.md).

CPU preset (``LERG_CPU_PRESET``): ResNet-18 (128/256/512 channels), hidden 128, 30
queries, 2 decoder layers, FFN 256, 1 RepVGG block per fusion block.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from vlseg.registry import MODELS

from ..layers.attention import MultiheadAttention
from .hybrid_encoder import HybridEncoder, sincos_position_2d

#: The six zones, in the order of the logits (SGSeg's ``pseudo_label``).
LERG_ZONES = ('L-upper', 'L-middle', 'L-lower', 'R-upper', 'R-middle', 'R-lower')

#: Backbone used when ``backbone`` names no ``type``: timm S3/S4/S5 (strides 8/16/32).
DEFAULT_BACKBONE = dict(type='TimmFeatures', model_name='resnet50', out_indices=(2, 3, 4))

#: A LERG small enough for CPU trainings (pass as ``LERG(**LERG_CPU_PRESET)``).
LERG_CPU_PRESET = dict(
    backbone=dict(type='TimmFeatures', model_name='resnet18', out_indices=(2, 3, 4)),
    hidden_dim=128, num_queries=30, num_decoder_layers=2, ffn_dim=256, fusion_blocks=1)


class QueryDecoderLayer(nn.Module):
    """Post-norm DETR decoder layer: self-attention, cross-attention, FFN."""

    def __init__(self, dim: int, num_heads: int, ffn_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(dim, num_heads, dropout=dropout)
        self.cross_attn = MultiheadAttention(dim, num_heads, dropout=dropout)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_dim), nn.ReLU(inplace=True),
                                 nn.Dropout(dropout), nn.Linear(ffn_dim, dim))
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(3))
        self.dropouts = nn.ModuleList(nn.Dropout(dropout) for _ in range(3))

    def forward(self, tgt: Tensor, query_pos: Tensor, memory: Tensor,
                memory_pos: Tensor) -> Tensor:
        q = k = tgt + query_pos
        out = self.self_attn(q, k, tgt)
        tgt = self.norms[0](tgt + self.dropouts[0](out))
        out = self.cross_attn(tgt + query_pos, memory + memory_pos, memory)
        tgt = self.norms[1](tgt + self.dropouts[1](out))
        return self.norms[2](tgt + self.dropouts[2](self.ffn(tgt)))


class QueryDecoder(nn.Module):
    """Learned queries attending to the flattened multi-scale memory; (B, N, D) out."""

    def __init__(self, dim: int, num_queries: int, num_layers: int, num_heads: int,
                 ffn_dim: int, num_levels: int, dropout: float = 0.0,
                 pe_temperature: float = 10000.) -> None:
        super().__init__()
        self.dim = dim
        self.pe_temperature = pe_temperature
        self.query_content = nn.Embedding(num_queries, dim)
        self.query_pos = nn.Embedding(num_queries, dim)
        self.level_embed = nn.Embedding(num_levels, dim)
        layer = QueryDecoderLayer(dim, num_heads, ffn_dim, dropout)
        self.layers = nn.ModuleList(copy.deepcopy(layer) for _ in range(num_layers))
        nn.init.normal_(self.query_content.weight)
        nn.init.normal_(self.query_pos.weight)
        nn.init.normal_(self.level_embed.weight)

    def flatten_memory(self, feats: list[Tensor]) -> tuple[Tensor, Tensor]:
        """Tokens ``(B, sum h w, D)`` of every level and their positions (1, ., D)."""
        tokens, positions = [], []
        for level, feat in enumerate(feats):
            height, width = feat.shape[-2:]
            tokens.append(feat.flatten(2).transpose(1, 2))
            pos = sincos_position_2d(height, width, self.dim, self.pe_temperature,
                                     feat.device, feat.dtype)
            positions.append(pos + self.level_embed.weight[level].to(feat.dtype))
        return torch.cat(tokens, 1), torch.cat(positions, 0)[None]

    def forward(self, feats: list[Tensor]) -> Tensor:
        memory, memory_pos = self.flatten_memory(feats)
        batch = memory.shape[0]
        tgt = self.query_content.weight[None].expand(batch, -1, -1).to(memory.dtype)
        query_pos = self.query_pos.weight[None].to(memory.dtype)
        for layer in self.layers:
            tgt = layer(tgt, query_pos, memory, memory_pos)
        return tgt


class LocationAttentionAggregator(nn.Module):
    """``A = softmax_N(X q^T)^T X``: one learned query pools the N object queries.

    ``forward(X)`` returns the aggregate ``(B, D)`` and the weights ``(B, N)`` (they sum
    to 1 over the queries).
    """

    def __init__(self, dim: int, init_std: Optional[float] = None) -> None:
        super().__init__()
        self.query = nn.Parameter(torch.empty(dim))
        nn.init.normal_(self.query, std=dim ** -0.5 if init_std is None else init_std)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        weights = torch.einsum('bnd,d->bn', x, self.query.to(x.dtype)).softmax(dim=1)
        return torch.einsum('bn,bnd->bd', weights, x), weights


@MODELS.register_module()
class LERG(BaseModule):
    """SGSeg's localization-enhanced report generator: image -> 6 zone logits.

    Args:
        backbone: backbone config; a dict without ``type`` updates
            ``DEFAULT_BACKBONE`` (``TimmFeatures``, timm ``resnet50``, S3/S4/S5), e.g.
            ``dict(model_name='resnet18')`` or ``dict(pretrained_path='r50.pth')`` (a
            local timm classification state dict; nothing downloads). Any registered
            backbone with ``out_channels`` and ``strides`` whose levels double in
            stride works.
        hidden_dim: width ``D`` of the encoder, decoder and queries.
        num_queries: number ``N`` of object queries.
        num_decoder_layers: decoder layers.
        num_heads: attention heads (AIFI and decoder).
        ffn_dim: FFN width (AIFI and decoder).
        num_encoder_layers: AIFI layers on S5.
        dropout: dropout of the attention and FFN blocks.
        num_zones: number of logits (6 zones).
        loss_weight: weight of ``loss_lerg``.
        fusion_blocks: RepVGG blocks per CCFM fusion block (RT-DETR-R50: 3).
        fusion_expansion: hidden width ratio of the fusion blocks (RT-DETR-R50: 1.0).
        aggregator_init_std: std of the aggregator query's init (``None``:
            ``D ** -0.5``; the authors': 1.0).
        in_channels: ``None`` (the paper: LERG reads images through ``backbone``) or
            the channels of the feature maps LERG is given instead (no backbone is
            built; ``backbone`` must then be ``None``).
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 backbone: Optional[dict] = None,
                 hidden_dim: int = 256,
                 num_queries: int = 300,
                 num_decoder_layers: int = 6,
                 num_heads: int = 8,
                 ffn_dim: int = 1024,
                 num_encoder_layers: int = 1,
                 dropout: float = 0.0,
                 num_zones: int = 6,
                 loss_weight: float = 1.0,
                 fusion_blocks: int = 3,
                 fusion_expansion: float = 1.0,
                 aggregator_init_std: Optional[float] = None,
                 in_channels: Optional[Sequence[int]] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if hidden_dim % num_heads or hidden_dim % 4:
            raise ValueError(f'LERG: hidden_dim ({hidden_dim}) must be divisible by '
                             f'num_heads ({num_heads}) and by 4 (sin-cos positions)')
        if num_queries < 1 or num_decoder_layers < 1:
            raise ValueError('LERG: needs at least one query and one decoder layer')
        if in_channels is not None:
            if backbone is not None:
                raise ValueError('LERG: give backbone (LERG reads images) or in_channels '
                                 '(LERG reads given feature maps), not both')
            self.backbone = None
            channels, strides = [int(c) for c in in_channels], []
        else:
            backbone_cfg = copy.deepcopy(DEFAULT_BACKBONE)
            if backbone is not None:
                if 'type' in backbone:
                    backbone_cfg = copy.deepcopy(dict(backbone))
                else:
                    backbone_cfg.update(copy.deepcopy(dict(backbone)))
            self.backbone = MODELS.build(backbone_cfg)
            channels = list(getattr(self.backbone, 'out_channels'))
            strides = list(getattr(self.backbone, 'strides', []))
        if strides and any(b != 2 * a for a, b in zip(strides, strides[1:])):
            raise ValueError(f'LERG: backbone levels must double in stride (CCFM), got '
                             f'strides {strides}')
        self.strides = tuple(strides)
        self.hidden_dim = int(hidden_dim)
        self.num_queries = int(num_queries)
        self.num_zones = int(num_zones)
        self.loss_weight = float(loss_weight)
        self.encoder = HybridEncoder(channels, hidden_dim, num_heads, ffn_dim,
                                     num_encoder_layers, dropout, fusion_blocks,
                                     fusion_expansion)
        self.decoder = QueryDecoder(hidden_dim, num_queries, num_decoder_layers, num_heads,
                                    ffn_dim, len(channels), dropout)
        self.aggregator = LocationAttentionAggregator(hidden_dim, aggregator_init_std)
        self.classifier = nn.Linear(hidden_dim, num_zones)

    def extract_queries(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Object queries ``X`` ``(B, N, D)`` of the last decoder layer."""
        if self.backbone is None:
            feats = list(inputs)
            channels = [feat.shape[1] if feat.dim() == 4 else None for feat in feats]
            if channels != list(self.encoder.in_channels):
                raise ValueError(f'LERG: built for feature maps with channels '
                                 f'{list(self.encoder.in_channels)}, given {channels}')
        else:
            if not isinstance(inputs, Tensor) or inputs.dim() != 4:
                raise ValueError('LERG: expected images (B, C, H, W), got '
                                 f'{getattr(inputs, "shape", type(inputs).__name__)}')
            feats = list(self.backbone(inputs))
        return self.decoder(self.encoder(feats))

    def forward(self, inputs: Union[Tensor, Sequence[Tensor]], return_attention: bool = False
                ) -> Union[Tensor, tuple[Tensor, dict[str, Tensor]]]:
        """``(B, 3, H, W)`` images (or, built with ``in_channels``, the list of feature
        maps) -> ``(B, num_zones)`` logits.

        With ``return_attention=True`` also a dict: ``queries`` ``X`` (B, N, D),
        ``attention`` ``softmax(X q^T)`` (B, N) and ``aggregate`` ``A`` (B, D).
        """
        queries = self.extract_queries(inputs)
        aggregate, attention = self.aggregator(queries)
        logits = self.classifier(aggregate)
        if return_attention:
            return logits, dict(queries=queries, attention=attention, aggregate=aggregate)
        return logits

    def loss(self, logits: Tensor, labels: Tensor) -> dict[str, Tensor]:
        """``loss_lerg`` (mean BCE x ``loss_weight``) and ``lerg_acc`` (fraction of zone
        decisions at 0.5 that match, detached).

        Args:
            logits: ``(B, num_zones)`` from :meth:`forward`.
            labels: ``(B, num_zones)`` 0/1 location labels (``gt_location_labels``).
        """
        if labels.shape != logits.shape:
            raise ValueError(f'LERG: labels {tuple(labels.shape)} do not match logits '
                             f'{tuple(logits.shape)}')
        labels = labels.to(device=logits.device, dtype=logits.dtype)
        loss = F.binary_cross_entropy_with_logits(logits, labels) * self.loss_weight
        with torch.no_grad():
            acc = ((logits >= 0) == (labels >= 0.5)).float().mean()
        return {'loss_lerg': loss, 'lerg_acc': acc}

    def predict(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Zone probabilities ``(B, num_zones)``."""
        return self.forward(inputs).sigmoid()
