"""Building blocks of TGANet's decoder (``TGANetHead``)."""
from .cbam import TGANetChannelAttention, TGANetSpatialAttention
from .decoder_block import TGANetDecoderBlock
from .feature_aggregation import TGANetFeatureAggregation
from .feature_enhancement import TGANetFeatureEnhancement
from .label_attention import TGANetLabelAttention

__all__ = [
    'TGANetChannelAttention', 'TGANetSpatialAttention', 'TGANetDecoderBlock',
    'TGANetFeatureAggregation', 'TGANetFeatureEnhancement', 'TGANetLabelAttention'
]
