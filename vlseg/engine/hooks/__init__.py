from .data_preflight_hook import DataPreflightHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError

__all__ = ['DataPreflightHook', 'FiniteLossHook', 'NonFiniteLossError']
