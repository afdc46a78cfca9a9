"""GuideDecoder head of Ariadne's Thread / LanGuideMedSeg (also the decoder of TMCA and SGSeg).

Zhong et al., "Ariadne's Thread: Using Text Prompts to Improve Segmentation of
Infected Areas from Chest X-ray Images", MICCAI 2023, Fig. 1(b) (the
GuideDecoder) and Sec. 2; authors' code ``Junelin2333/LanGuideMedSeg-MICCAI2023``,
``utils/layers.py`` (``GuideDecoderLayer``, ``GuideDecoder``) and ``utils/model.py``
(``LanGuideMedSeg``). Written from the paper and that code; the MONAI blocks the
authors use (``UnetrUpBlock``, ``UnetBasicBlock``, ``SubpixelUpsample``, MONAI 1.0.1)
are re-implemented here in plain PyTorch, with the same layers and initialisation.

One decoding stage (deepest first, 768 -> 384 -> 192 -> 96 for ConvNeXt-Tiny):

1. text projection: ``LeakyReLU(Linear(GELU(Conv1d_k1(T))))``; the Conv1d runs
   over the token axis (24 tokens -> 24 / 12 / 9) and the Linear maps the text
   width (768) to the stage width C;
2. pre-norm self-attention on the image tokens (1 head), sinusoidal positions
   added to query and key (not value), LayerNorm on the attention output,
   residual: ``V = V + LN(MHSA(LN(V) + P, LN(V) + P, LN(V)))``;
3. cross-attention image -> text (4 heads), positions on query (image) and key
   (text), LayerNorm on the output, residual scaled by a learnable ``alpha``
   (init 1.421): ``V = V + alpha * LN(MHCA(LN(V) + P_v, T' + P_t, T'))``;
   both attentions are ``vlseg.models.layers.MultiheadAttention``: the authors'
   ``nn.MultiheadAttention`` maths and parameter names, one fused
   ``scaled_dot_product_attention`` call on batch-first tensors (faster, above all
   under bf16 autocast);
4. UNETR up block: 2x2 stride-2 transposed conv (no bias) to the skip's width,
   concatenation ``[up, skip]``, then two conv3x3 (no bias) - BatchNorm -
   LeakyReLU(0.01) (MONAI ``UnetBasicBlock``; the authors' ``UnetrUpBlock`` has
   ``res_block=False``, so no residual path by default).

After the three stages: sub-pixel upsampling x4 (conv3x3 96 -> 24 * 16 with
ICNR init and bias, PixelShuffle(4), then MONAI's zero pad (3, 0, 3, 0) +
4x4 stride-1 average pool against checkerboard artefacts) and the 1x1 output
conv ``conv_seg`` (24 -> 1). Positions are the 1D sinusoidal encoding of
Vaswani et al. over the row-major flattened image tokens, as the authors' code
(not a 2D encoding).

Parameter count at the QaTa setting (in_channels (96, 192, 384, 768), 24 tokens
of width 768, text_lengths (24, 12, 9), 1 output channel): 14,357,953, equal to
the authors' decoder (``decoder16/8/4`` + ``decoder1`` + ``out``: the paper's
14.36M includes the text projections, the sub-pixel upsampler and the output conv).

Where this implementation differs from the authors' code:

- returns logits; the authors' model applies ``sigmoid`` in ``forward``;
- spatial sizes are read from the features (the authors hard-code 7/14/28 for
  224 x 224 inputs), so any input size works; when an input side is not a
  multiple of 32 the transposed-conv output is resized to the skip's size
  (the authors' code would fail);
- positional encodings are computed for the actual length, not sliced from a
  stored 5000-row buffer, and are not part of the state dict; module names
  differ, so the authors' checkpoints do not load as they are;
- the final 1x1 conv is mmseg's ``conv_seg`` with PyTorch's default init (the
  authors' ``UnetOutBlock`` is the same layer); mmseg's ``Normal(std=0.01)``
  init of ``conv_seg`` is not applied unless ``init_cfg`` asks for it;
- the learnable scale starts at 1.421 as in the authors' current code (an
  earlier commit of ``utils/layers.py`` used 0.01: ``scale_init=0.01``);
- options the authors do not have: ``mask_padded_tokens`` (zero the features of
  padded tokens before the projection; the authors attend to padding),
  ``res_block`` (MONAI's ``UnetResBlock`` in the up blocks), ``channels``
  different from ``in_channels[0]``, ``norm_cfg`` (BN as the authors' 'BATCH'),
  ``skip_attention`` (a block on each skip before its up block, built with
  ``channels=<skip width>`` as in ``C2FVLHead``: e.g. C2FVL's ``VLAB`` or LViT's
  ``PixelLevelAttention``; ``None``, the paper, adds nothing and no parameter);
- the loss: the authors train with MONAI's ``DiceCELoss()`` on the sigmoid output,
  whose Dice is computed per image and averaged over the batch (``batch=False``,
  smooth 1e-5): ``BinaryDiceLoss(per_image=True, smooth=1e-5)`` here, as the configs
  set it. With the MONAI version the authors pinned, the CE term of ``DiceCELoss`` on
  one channel is a softmax cross-entropy over that single channel, which is 0: they
  trained on Dice alone. The paper says Dice + CE, so the CE term is a sigmoid BCE
  here (drop it from ``loss_decode`` to train as the authors' code did);
- with one output channel, ``acc_seg`` is the accuracy of ``sigmoid > threshold``
  (mmseg's top-1 accuracy over a single channel is the background fraction).

TMCA option (``ltem``, not part of Ariadne's Thread; ``None`` by default, and then
the head, its parameters and its outputs are exactly the ones above): TMCA's
language-guided target enhancement module (``vlseg.models.layers.LTEM``; no public
code, see that module for the equation and our choices). After every stage but the
last, the region weights ``softmax_i(I_i . T_g / tau3)`` of that stage's *input*
map (the deep feature: the backbone's stride-32 map for the first stage, the
previous stage's output, already enhanced, for the next; ``source='backbone'``
takes the backbone map of the same stride instead) and of the pooled text
``text['pooled']`` are upsampled x2 and multiply the stage's *output* (the decoded
feature at the next, finer stride, which the next stage takes as its input). For
ConvNeXt-Tiny at 224: weights of 768@7 reweight the decoded 384@14, weights of the
decoded 384@14 reweight the decoded 192@28; the last stage's 96@56 output goes to
the upsampler unchanged. The text-free path (``text=None``) skips the LTEMs.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from vlseg.registry import MODELS

from ..layers.attention import MultiheadAttention
from ..layers.unetr_blocks import SubpixelUpsample2d, UnetrUpBlock2d
from .binary_head_utils import (
    BinaryAccuracyMixin,
    build_loss_decode,
    check_pyramid_transform,
    select_maps,
)


def sinusoidal_positions(length: int, dim: int, device=None,
                         dtype: torch.dtype = torch.float32) -> Tensor:
    """``(length, dim)`` sine/cosine encoding (Vaswani et al.): sin on even, cos on odd dims."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32)
                          * (-math.log(10000.0) / dim))
    angles = position * frequency
    encoding = torch.zeros(length, dim, device=device, dtype=torch.float32)
    encoding[:, 0::2] = torch.sin(angles)
    encoding[:, 1::2] = torch.cos(angles)[:, :dim // 2]
    return encoding.to(dtype)


class TextProjection(nn.Module):
    """Token-axis Conv1d (L_in -> L_out tokens), GELU, Linear to the stage width, LeakyReLU."""

    def __init__(self, text_length: int, out_length: int, text_channels: int,
                 channels: int) -> None:
        super().__init__()
        self.token_mix = nn.Conv1d(text_length, out_length, kernel_size=1)
        self.act1 = nn.GELU()
        self.proj = nn.Linear(text_channels, channels)
        self.act2 = nn.LeakyReLU(0.01)

    def forward(self, tokens: Tensor) -> Tensor:
        # (B, L_in, C_text): the tokens are the Conv1d's channels.
        return self.act2(self.proj(self.act1(self.token_mix(tokens))))


class GuideDecoderLayer(nn.Module):
    """Self-attention on image tokens, then cross-attention to the projected text.

    Args:
        channels: image token width C.
        text_channels: text token width (768 for CXR-BERT).
        text_length: tokens per caption (24).
        out_text_length: tokens after the Conv1d projection (24 / 12 / 9).
        self_attn_heads, cross_attn_heads: 1 and 4 as the authors.
        scale_init: initial value of the learnable cross-attention scale.
    """

    def __init__(self, channels: int, text_channels: int, text_length: int,
                 out_text_length: int, self_attn_heads: int = 1, cross_attn_heads: int = 4,
                 scale_init: float = 1.421) -> None:
        super().__init__()
        self.text_proj = TextProjection(text_length, out_text_length, text_channels, channels)
        self.self_attn_pre_norm = nn.LayerNorm(channels)
        self.self_attn = MultiheadAttention(channels, self_attn_heads)
        self.self_attn_post_norm = nn.LayerNorm(channels)
        self.cross_attn_pre_norm = nn.LayerNorm(channels)
        self.cross_attn = MultiheadAttention(channels, cross_attn_heads)
        self.cross_attn_post_norm = nn.LayerNorm(channels)
        self.scale = nn.Parameter(torch.tensor(float(scale_init)))

    def forward(self, vis: Tensor, tokens: Tensor) -> Tensor:
        """``vis`` (B, N, C) image tokens, ``tokens`` (B, L, C_text) -> (B, N, C)."""
        text = self.text_proj(tokens)
        vis_pos = sinusoidal_positions(vis.shape[1], vis.shape[2], vis.device, vis.dtype)
        text_pos = sinusoidal_positions(text.shape[1], text.shape[2], text.device, text.dtype)

        normed = self.self_attn_pre_norm(vis)
        query = normed + vis_pos
        attended = self.self_attn(query, query, normed)
        vis = vis + self.self_attn_post_norm(attended)

        normed = self.cross_attn_pre_norm(vis)
        attended = self.cross_attn(normed + vis_pos, text + text_pos, text)
        return vis + self.scale * self.cross_attn_post_norm(attended)


class GuideDecoderStage(nn.Module):
    """``GuideDecoderLayer`` on the deeper map, then the UNETR up block with the skip."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int,
                 text_channels: int, text_length: int, out_text_length: int,
                 self_attn_heads: int, cross_attn_heads: int, scale_init: float,
                 norm_cfg: Optional[dict], res_block: bool,
                 skip_attention: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.skip_attention = nn.Identity() if skip_attention is None else skip_attention
        self.guide = GuideDecoderLayer(in_channels, text_channels, text_length,
                                       out_text_length, self_attn_heads, cross_attn_heads,
                                       scale_init)
        self.up = UnetrUpBlock2d(in_channels, skip_channels, out_channels,
                                 norm_cfg=norm_cfg, res_block=res_block)

    def forward(self, x: Tensor, skip: Tensor, tokens: Optional[Tensor]) -> Tensor:
        if tokens is not None:
            batch, channels, height, width = x.shape
            vis = self.guide(x.flatten(2).transpose(1, 2), tokens)
            x = vis.transpose(1, 2).reshape(batch, channels, height, width)
        return self.up(x, self.skip_attention(skip))


_DEFAULT_LOSSES = (
    dict(type='BinaryDiceLoss', loss_weight=1.0),
    dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
)


@MODELS.register_module()
class GuideDecoderHead(BinaryAccuracyMixin, BaseDecodeHead):
    """Language-guided decoder of Ariadne's Thread (Zhong et al., MICCAI 2023, Fig. 1(b)).

    See the module docstring for the equations, the authors' code and every
    difference from it, and for TMCA's LTEM option.

    Input contract (text-aware vlseg heads): ``inputs = (image_features, text)``
    through mmseg's ``loss``/``predict``/``forward``. ``image_features`` is the
    backbone tuple (4 maps, shallow to deep, optionally followed by a global
    vector, which ``in_index`` leaves out); ``text`` is a text source's dict
    ``{'tokens': (B, L, C_text), 'mask': (B, L), 'pooled': (B, C_text)}`` of
    which this head reads ``tokens`` (and ``mask`` with ``mask_padded_tokens``,
    ``pooled`` with ``ltem``). ``text=None`` skips the guide layers (the authors'
    ``txt is None`` path: an image-only U-Net decoder) and the LTEMs.

    Args:
        in_channels: widths of the selected maps, shallow to deep.
        channels: width of the last decoder stage (the sub-pixel upsampler's
            input), 96 as the authors (= ``in_channels[0]``).
        text_channels: text token width (768 for CXR-BERT).
        text_length: tokens per caption the Conv1d projections expect (24).
        text_lengths: tokens after each stage's projection, deepest stage first
            (24, 12, 9 as the authors).
        self_attn_heads, cross_attn_heads: 1 and 4 as the authors.
        scale_init: initial learnable cross-attention scale (1.421).
        upsample_channels: output width of the sub-pixel upsampler, the input of
            ``conv_seg`` (24 as the authors).
        upsample_scale: sub-pixel upsampling factor (4: stride-4 features to the
            input resolution).
        upsample_pad_pool: MONAI's pad + average pool after the pixel shuffle.
        res_block: residual conv blocks in the up blocks (authors: False).
        mask_padded_tokens: zero padded tokens (``text['mask'] == 0``) before the
            projection (authors: False).
        text_key: key of the token features in the text dict.
        ltem: ``None`` (Ariadne's Thread) or the arguments of TMCA's LTEM after
            each stage but the last, e.g. ``dict(embed_dim=256, tau=0.1,
            mode='plain')``; ``type`` defaults to ``'LTEM'``, ``image_channels``
            and ``text_channels`` are filled in by the head, and two keys are the
            head's: ``source`` (``'stage_input'``, default, or ``'backbone'``: which
            deep map gives the weights) and ``text_key`` (``'pooled'``).
        skip_attention: ``None`` (the paper) or the config of a block applied to each
            skip before its up block, built with ``channels=<skip width>``
            (``dict(type='VLAB')``: C2FVL's; as ``C2FVLHead``'s argument).
        norm_cfg: norm of the up blocks (BN as the authors' ``'BATCH'``).
        dropout_ratio: dropout before ``conv_seg`` (0: the authors have none).
        in_index, input_transform: which backbone outputs are the 4 maps;
            ``'multiple_select'`` is required.
        loss_decode: Dice + sigmoid CE by default (the authors' DiceCE), built
            from vlseg's registry (reaches mmseg's losses too).
        kwargs: the rest of ``BaseDecodeHead``'s arguments.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (96, 192, 384, 768),
                 channels: int = 96,
                 text_channels: int = 768,
                 text_length: int = 24,
                 text_lengths: Sequence[int] = (24, 12, 9),
                 self_attn_heads: int = 1,
                 cross_attn_heads: int = 4,
                 scale_init: float = 1.421,
                 upsample_channels: int = 24,
                 upsample_scale: int = 4,
                 upsample_pad_pool: bool = True,
                 res_block: bool = False,
                 mask_padded_tokens: bool = False,
                 text_key: str = 'tokens',
                 ltem: Optional[dict] = None,
                 skip_attention: Optional[dict] = None,
                 num_classes: int = 2,
                 out_channels: int = 1,
                 threshold: Optional[float] = 0.5,
                 dropout_ratio: float = 0.0,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 input_transform: str = 'multiple_select',
                 loss_decode: Union[dict, Sequence[dict]] = _DEFAULT_LOSSES,
                 init_cfg: Optional[Union[dict, list]] = None,
                 **kwargs) -> None:
        check_pyramid_transform('GuideDecoderHead', input_transform)
        in_channels = [int(c) for c in in_channels]
        if len(in_channels) < 2:
            raise ValueError(f'GuideDecoderHead: need at least 2 levels, got {in_channels}')
        text_lengths = [int(n) for n in text_lengths]
        if len(text_lengths) != len(in_channels) - 1:
            raise ValueError(
                f'GuideDecoderHead: text_lengths {text_lengths} needs one entry per decoding '
                f'stage ({len(in_channels) - 1} for in_channels {in_channels})')
        # Losses are built below from vlseg's registry: mmseg's build_loss cannot see
        # vlseg's losses unless the default scope is 'vlseg'.
        super().__init__(in_channels, channels, num_classes=num_classes,
                         out_channels=out_channels, threshold=threshold,
                         dropout_ratio=dropout_ratio, norm_cfg=norm_cfg,
                         in_index=list(in_index), input_transform=input_transform,
                         loss_decode=[], init_cfg=init_cfg, **kwargs)
        self.loss_decode = build_loss_decode(loss_decode)

        self.text_channels = text_channels
        self.text_length = text_length
        self.text_lengths = tuple(text_lengths)
        self.mask_padded_tokens = mask_padded_tokens
        self.text_key = text_key

        deep_to_shallow = in_channels[::-1]
        stages = []
        for i, out_text_length in enumerate(text_lengths):
            last = i == len(text_lengths) - 1
            skip = deep_to_shallow[i + 1]
            stages.append(GuideDecoderStage(
                in_channels=deep_to_shallow[i],  # the previous stage's output
                skip_channels=skip,
                out_channels=channels if last else skip,
                text_channels=text_channels, text_length=text_length,
                out_text_length=out_text_length, self_attn_heads=self_attn_heads,
                cross_attn_heads=cross_attn_heads, scale_init=scale_init,
                norm_cfg=norm_cfg, res_block=res_block,
                skip_attention=None if skip_attention is None else MODELS.build(
                    dict(skip_attention, channels=skip))))
        self.stages = nn.ModuleList(stages)
        self.ltems: Optional[nn.ModuleList] = None
        self.ltem_source = 'stage_input'
        self.ltem_text_key = 'pooled'
        if ltem is not None:
            ltem_cfg = dict(ltem)
            self.ltem_source = ltem_cfg.pop('source', 'stage_input')
            self.ltem_text_key = ltem_cfg.pop('text_key', 'pooled')
            if self.ltem_source not in ('stage_input', 'backbone'):
                raise ValueError("GuideDecoderHead: ltem['source'] must be 'stage_input' or "
                                 f"'backbone', got {self.ltem_source!r}")
            ltem_cfg.setdefault('type', 'LTEM')
            # One LTEM per stage but the last, fed by that stage's input width.
            self.ltems = nn.ModuleList([
                MODELS.build(dict(ltem_cfg, image_channels=deep_to_shallow[i],
                                  text_channels=text_channels))
                for i in range(len(text_lengths) - 1)])
        self.upsample = SubpixelUpsample2d(channels, upsample_channels, upsample_scale,
                                           pad_pool=upsample_pad_pool)
        self.upsample_channels = upsample_channels
        # The authors' output conv (UnetOutBlock): upsample_channels -> out_channels.
        self.conv_seg = nn.Conv2d(upsample_channels, self.out_channels, kernel_size=1)

    @property
    def text_inputs(self) -> tuple[str, ...]:
        """The text keys this head reads (``vlseg.models.interfaces``)."""
        return ((self.text_key,) + (('mask',) if self.mask_padded_tokens else ())
                + ((self.ltem_text_key,) if self.ltems is not None else ()))

    # ----------------------------------------------------------------- inputs
    def _split_inputs(self, inputs) -> tuple[Sequence[Tensor], Optional[dict]]:
        if (isinstance(inputs, (tuple, list)) and len(inputs) == 2
                and (inputs[1] is None or isinstance(inputs[1], dict))):
            return inputs[0], inputs[1]
        raise TypeError(
            'GuideDecoderHead consumes text: pass inputs = (image_features, text) with text '
            "a dict {'tokens': (B, L, C), 'mask': (B, L), 'pooled': (B, C)} (or None for the "
            f'image-only path); got {type(inputs).__name__}')

    def _tokens(self, text: Optional[dict], batch: int) -> Optional[Tensor]:
        if text is None:
            return None
        if self.text_key not in text:
            raise KeyError(f'GuideDecoderHead needs text[{self.text_key!r}] (B, L, C) token '
                           f'features; the text dict has {sorted(text)}')
        tokens = text[self.text_key]
        expected = (batch, self.text_length, self.text_channels)
        if tokens.dim() != 3 or tuple(tokens.shape) != expected:
            raise ValueError(
                f'GuideDecoderHead: text[{self.text_key!r}] has shape {tuple(tokens.shape)}, '
                f'expected {expected} (batch, text_length, text_channels): the Conv1d '
                'projections need exactly text_length tokens (set the tokenizer max_length)')
        if self.mask_padded_tokens:
            if 'mask' not in text:
                raise KeyError('GuideDecoderHead(mask_padded_tokens=True) needs text["mask"]')
            tokens = tokens * text['mask'].to(tokens.dtype)[..., None]
        return tokens

    def _pooled(self, text: Optional[dict], batch: int) -> Optional[Tensor]:
        if text is None or self.ltems is None:
            return None
        if self.ltem_text_key not in text:
            raise KeyError(f'GuideDecoderHead(ltem=...) needs text[{self.ltem_text_key!r}] '
                           f'(B, C) global text features; the text dict has {sorted(text)}')
        pooled = text[self.ltem_text_key]
        expected = (batch, self.text_channels)
        if pooled.dim() != 2 or tuple(pooled.shape) != expected:
            raise ValueError(f'GuideDecoderHead: text[{self.ltem_text_key!r}] has shape '
                             f'{tuple(pooled.shape)}, expected {expected}')
        return pooled

    # ---------------------------------------------------------------- forward
    def forward(self, inputs) -> Tensor:
        """``(image_features, text)`` -> logits ``(B, out_channels, H0 * 4, W0 * 4)``.

        ``H0, W0`` is the size of the shallowest selected map (stride 4: input size).
        """
        image_features, text = self._split_inputs(inputs)
        feats = select_maps(self, image_features)
        tokens = self._tokens(text, feats[0].shape[0])
        pooled = self._pooled(text, feats[0].shape[0])
        x = feats[-1]
        for i, stage in enumerate(self.stages):
            deep = x if self.ltem_source == 'stage_input' else feats[-1 - i]
            x = stage(x, feats[-2 - i], tokens)
            if pooled is not None and i < len(self.ltems):
                x = self.ltems[i](deep, pooled, x)
        return self.cls_seg(self.upsample(x))
