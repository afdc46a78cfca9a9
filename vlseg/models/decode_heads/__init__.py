from .guide_decoder_head import GuideDecoderHead

__all__ = ['GuideDecoderHead']
