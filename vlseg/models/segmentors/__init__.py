from .language_guided_segmentor import LanguageGuidedSegmentor
from .multi_scale_step_encoder_decoder import MultiScaleStepEncoderDecoder
from .self_guided_segmentor import SelfGuidedSegmentor
from .volume_segmentor import VolumeSegmentor

__all__ = ['LanguageGuidedSegmentor', 'MultiScaleStepEncoderDecoder', 'SelfGuidedSegmentor',
           'VolumeSegmentor']
