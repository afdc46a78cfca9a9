from .text_seg_data_preprocessor import TextSegDataPreProcessor, stack_text_fields
from .volume_data_preprocessor import VolumeDataPreProcessor

__all__ = ['TextSegDataPreProcessor', 'VolumeDataPreProcessor', 'stack_text_fields']
