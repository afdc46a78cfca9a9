"""Building blocks shared by vlseg's backbones, necks and heads.

The vision-language blocks that live inside heads (TMCA's LTEM, C2FVL's VLAB, LViT's
pixel-level attention) are registered, so a head's config picks one by ``type``; the
others are plain modules that heads and backbones import.
"""
from .attention import MultiheadAttention
from .cnn_vit_layers import (
    ConvBNReLU,
    TokenConvBNReLU,
    TokenReconstruct,
    ViTAttention,
    ViTBlock,
    ViTBranch,
    ViTLevel,
    ViTMLP,
    add_reconstructed,
    check_patch_sizes,
    conv_stack,
    resize_token_grid,
    vit_blocks,
)
from .infnet_layers import ConvBN, EdgeBranch, PartialDecoder, ReverseAttention, RFBBlock, up_to
from .ltem import LTEM
from .pixel_gate import AvgMaxPixelGate
from .pixel_level_attention import PixelLevelAttention
from .precision import FastDepthwiseConv2d, is_depthwise_conv, use_fast_depthwise
from .unetr_blocks import SubpixelUpsample2d, UnetConvBlock, UnetrUpBlock2d, icnr_
from .vlab import VLAB

__all__ = [
    'AvgMaxPixelGate', 'MultiheadAttention', 'ConvBNReLU', 'TokenConvBNReLU', 'TokenReconstruct',
    'ViTAttention', 'ViTBlock', 'ViTBranch', 'ViTLevel', 'ViTMLP', 'add_reconstructed',
    'check_patch_sizes', 'conv_stack', 'resize_token_grid', 'vit_blocks', 'ConvBN', 'RFBBlock',
    'PartialDecoder', 'EdgeBranch', 'ReverseAttention', 'up_to', 'FastDepthwiseConv2d',
    'is_depthwise_conv', 'use_fast_depthwise', 'LTEM', 'PixelLevelAttention', 'VLAB',
    'SubpixelUpsample2d', 'UnetConvBlock', 'UnetrUpBlock2d', 'icnr_'
]
