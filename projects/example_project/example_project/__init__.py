from .tversky_loss import LesionTverskyLoss

__all__ = ['LesionTverskyLoss']
