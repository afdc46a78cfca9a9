from .overlay import overlay_mask

__all__ = ['overlay_mask']
