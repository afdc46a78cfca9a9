from .ltem import LTEM

__all__ = ['LTEM']
