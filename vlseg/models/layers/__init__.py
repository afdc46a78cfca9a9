"""Building blocks shared by vlseg's backbones, necks and heads (no registered modules)."""
from .cnn_vit_layers import (
    ConvBNReLU,
    TokenConvBNReLU,
    TokenReconstruct,
    ViTAttention,
    ViTBlock,
    ViTBranch,
    ViTLevel,
    ViTMLP,
    check_patch_sizes,
    conv_stack,
    resize_token_grid,
)
from .pixel_gate import AvgMaxPixelGate

__all__ = [
    'AvgMaxPixelGate', 'ConvBNReLU', 'TokenConvBNReLU', 'TokenReconstruct', 'ViTAttention',
    'ViTBlock', 'ViTBranch', 'ViTLevel', 'ViTMLP', 'check_patch_sizes', 'conv_stack',
    'resize_token_grid'
]
