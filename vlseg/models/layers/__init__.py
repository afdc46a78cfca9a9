"""Building blocks shared by vlseg's backbones, necks and heads (no registered modules)."""
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
from .pixel_gate import AvgMaxPixelGate
from .precision import FastDepthwiseConv2d, is_depthwise_conv, use_fast_depthwise

__all__ = [
    'AvgMaxPixelGate', 'MultiheadAttention', 'ConvBNReLU', 'TokenConvBNReLU', 'TokenReconstruct',
    'ViTAttention', 'ViTBlock', 'ViTBranch', 'ViTLevel', 'ViTMLP', 'add_reconstructed',
    'check_patch_sizes', 'conv_stack', 'resize_token_grid', 'vit_blocks', 'ConvBN', 'RFBBlock',
    'PartialDecoder', 'EdgeBranch', 'ReverseAttention', 'up_to', 'FastDepthwiseConv2d',
    'is_depthwise_conv', 'use_fast_depthwise'
]
