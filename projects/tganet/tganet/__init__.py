"""TGANet (Tomar et al., MICCAI 2022) as a vlseg project: importing this package registers
its components in vlseg's registries (configs: ``custom_imports``)."""
from .attribute_classifier import TGANetAttributeClassifier
from .attribute_embedding import TGANetAttributeEmbedding
from .layers import (
    TGANetChannelAttention,
    TGANetDecoderBlock,
    TGANetFeatureAggregation,
    TGANetFeatureEnhancement,
    TGANetLabelAttention,
    TGANetSpatialAttention,
)
from .mask_attributes import TGANetMaskAttributes, mask_attributes
from .tganet_head import TGANetHead

__all__ = [
    'TGANetAttributeClassifier', 'TGANetAttributeEmbedding', 'TGANetChannelAttention',
    'TGANetDecoderBlock', 'TGANetFeatureAggregation', 'TGANetFeatureEnhancement',
    'TGANetLabelAttention', 'TGANetSpatialAttention', 'TGANetMaskAttributes',
    'mask_attributes', 'TGANetHead'
]
