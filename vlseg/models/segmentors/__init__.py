from .language_guided_segmentor import LanguageGuidedSegmentor

__all__ = ['LanguageGuidedSegmentor']
