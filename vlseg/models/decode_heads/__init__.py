from .c2fvl_head import C2FVLHead
from .guide_decoder_head import GuideDecoderHead
from .infnet_head import InfNetHead
from .lvit_head import LViTHead

__all__ = ['GuideDecoderHead', 'C2FVLHead', 'LViTHead', 'InfNetHead']
