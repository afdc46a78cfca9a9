from .tversky_loss import TverskyLoss

__all__ = ['TverskyLoss']
