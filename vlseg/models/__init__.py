from .data_preprocessors import TextSegDataPreProcessor, stack_text_fields

__all__ = ['TextSegDataPreProcessor', 'stack_text_fields']
