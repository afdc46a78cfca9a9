from .amp_loops import AutocastTestLoop, AutocastValLoop, data_samples_to_fp32
from .atomic_local_backend import AtomicLocalBackend
from .checkpoints import CheckpointError, find_resumable_checkpoint, inspect_checkpoint
from .hooks import DataPreflightHook, FiniteLossHook, NonFiniteLossError
from .optim_wrappers import AutocastOptimWrapper

__all__ = [
    'AtomicLocalBackend', 'AutocastOptimWrapper', 'AutocastTestLoop', 'AutocastValLoop',
    'CheckpointError', 'DataPreflightHook', 'FiniteLossHook', 'NonFiniteLossError',
    'data_samples_to_fp32', 'find_resumable_checkpoint', 'inspect_checkpoint'
]
