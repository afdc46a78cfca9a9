from .hf_text_encoder import HFTextEncoder

__all__ = ['HFTextEncoder']
