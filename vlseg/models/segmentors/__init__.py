from .language_guided_segmentor import LanguageGuidedSegmentor
from .multi_scale_step_encoder_decoder import MultiScaleStepEncoderDecoder

__all__ = ['LanguageGuidedSegmentor', 'MultiScaleStepEncoderDecoder']
