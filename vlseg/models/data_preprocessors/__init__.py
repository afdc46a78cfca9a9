from .text_seg_data_preprocessor import TextSegDataPreProcessor, stack_text_fields

__all__ = ['TextSegDataPreProcessor', 'stack_text_fields']
