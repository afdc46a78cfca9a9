from .backbones import TimmConvNeXt
from .data_preprocessors import TextSegDataPreProcessor, stack_text_fields
from .decode_heads import GuideDecoderHead
from .layers import LTEM, VLAB, PixelLevelAttention
from .losses import BinaryDiceLoss, MultiLevelAlignment, TSDMContrastiveLoss, lesion_probability
from .necks import LesionVectorWeighting, LViTViTBranch
from .report_generators import LERG
from .segmentors import LanguageGuidedSegmentor
from .text_encoders import HFTextEncoder
from .wrappers import MultiScaleStepDDP

__all__ = [
    'TimmConvNeXt', 'TextSegDataPreProcessor', 'stack_text_fields', 'GuideDecoderHead',
    'BinaryDiceLoss', 'lesion_probability', 'LanguageGuidedSegmentor', 'HFTextEncoder',
    'TSDMContrastiveLoss', 'MultiLevelAlignment', 'LTEM', 'MultiScaleStepDDP', 'LERG',
    'VLAB', 'PixelLevelAttention', 'LesionVectorWeighting', 'LViTViTBranch'
]
