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
    add_reconstructed,
    check_patch_sizes,
    conv_stack,
    resize_token_grid,
    vit_blocks,
)
from .infnet_layers import ConvBN, EdgeBranch, PartialDecoder, ReverseAttention, RFBBlock, up_to
from .pixel_gate import AvgMaxPixelGate

__all__ = [
    'AvgMaxPixelGate', 'ConvBNReLU', 'TokenConvBNReLU', 'TokenReconstruct', 'ViTAttention',
    'ViTBlock', 'ViTBranch', 'ViTLevel', 'ViTMLP', 'add_reconstructed', 'check_patch_sizes',
    'conv_stack', 'resize_token_grid', 'vit_blocks', 'ConvBN', 'RFBBlock', 'PartialDecoder',
    'EdgeBranch', 'ReverseAttention', 'up_to'
]
