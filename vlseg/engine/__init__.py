from .atomic_local_backend import AtomicLocalBackend
from .checkpoints import CheckpointError, find_resumable_checkpoint, inspect_checkpoint
from .hooks import DataPreflightHook, FiniteLossHook, NonFiniteLossError

__all__ = [
    'AtomicLocalBackend', 'CheckpointError', 'DataPreflightHook', 'FiniteLossHook',
    'NonFiniteLossError', 'find_resumable_checkpoint', 'inspect_checkpoint'
]
