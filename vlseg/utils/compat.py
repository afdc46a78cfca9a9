"""Run-time fixes for the stack vlseg runs on, all in one place.

Each fix is applied once, on ``import vlseg``, and each names the break it
mends (reproduced with torch 2.14, mmengine 0.10.7, mmsegmentation 1.2.2 and
mmcv-lite 2.1; see ``docs/get_started.md``). Nothing here changes behaviour when the
break is absent: with full mmcv installed the extension stand-in stays out of
the way, and on a CUDA machine distributed start-up is mmengine's own.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import types

__all__ = ['apply_stack_fixes', 'MissingCompiledOpError', 'mmcv_ext_is_stand_in']

_STAND_IN_DOC = """Stand-in for mmcv's compiled extension ``mmcv._ext`` (installed by vlseg).

mmcv-lite ships mmcv without compiled ops, yet ``import mmseg.models`` imports
``mmcv.ops``, which loads ``mmcv._ext`` and checks that each op exists. This
module answers every op name with a function that raises
:class:`vlseg.utils.compat.MissingCompiledOpError` when called, so mmseg imports
and pure-torch ops (``point_sample``) keep working. vlseg's own models use no
compiled op.
"""


class MissingCompiledOpError(RuntimeError):
    """A compiled mmcv op was called but only mmcv-lite is installed."""


def _missing_op(name: str):

    def op(*args, **kwargs):
        raise MissingCompiledOpError(
            f"mmcv compiled op '{name}' is not available: mmcv-lite is "
            'installed, which has no compiled extension. vlseg models need '
            f"no compiled op; to use a component that calls '{name}', build "
            'full mmcv 2.1 (see docs/get_started.md, "Full mmcv"): '
            "pip uninstall -y mmcv-lite && MMCV_WITH_OPS=1 pip install "
            "'mmcv==2.1.0' --no-build-isolation")

    op.__name__ = name
    op.__qualname__ = name
    return op


class _ExtStandIn(types.ModuleType):

    def __getattr__(self, name: str):
        # Dunder look-ups (pickle, inspect, copy) must fail as for any module.
        if name.startswith('__') and name.endswith('__'):
            raise AttributeError(name)
        return _missing_op(name)


def mmcv_ext_is_stand_in() -> bool:
    """Whether ``mmcv._ext`` is vlseg's stand-in rather than compiled ops."""
    return isinstance(sys.modules.get('mmcv._ext'), _ExtStandIn)


def _install_mmcv_ext_stand_in() -> None:
    """Register the stand-in as ``mmcv._ext`` when the real one is missing."""
    if 'mmcv._ext' in sys.modules:
        return
    try:
        if importlib.util.find_spec('mmcv') is None:
            return
        if importlib.util.find_spec('mmcv._ext') is not None:
            return  # full mmcv: compiled ops are there
    except (ImportError, ValueError):
        return
    module = _ExtStandIn('mmcv._ext', _STAND_IN_DOC)
    # mmengine's `mmcv_full_available` reads the spec of mmcv._ext.
    module.__spec__ = importlib.machinery.ModuleSpec('mmcv._ext', None)
    sys.modules['mmcv._ext'] = module


def _allow_mmengine_checkpoint_globals() -> None:
    """Let weights-only ``torch.load`` read checkpoints mmengine writes.

    torch >= 2.6 loads weights-only by default and mmengine checkpoints hold a
    few objects besides tensors (``message_hub`` history buffers, numpy scalars).
    Allow-listing exactly those keeps safe loading on for everything else;
    foreign checkpoints that hold other objects still fail closed.
    """
    import numpy as np
    import torch
    from mmengine.logging import HistoryBuffer

    if not hasattr(torch.serialization, 'add_safe_globals'):
        return

    def reduce_history_buffer(buffer):
        # Data only: the default pickle also stores the statistics methods, which
        # weights-only loading rejects ("Unsupported global: getattr").
        return (HistoryBuffer, (buffer._log_history.tolist(), buffer._count_history.tolist(),
                                buffer.max_length))

    HistoryBuffer.__reduce__ = reduce_history_buffer
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in (
        'float64', 'float32', 'float16', 'int64', 'int32', 'uint8', 'bool')]
    torch.serialization.add_safe_globals(
        [HistoryBuffer, _reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes])


def _patch_cpu_distributed() -> None:
    """Start torchrun jobs on CPU-only machines with gloo.

    mmengine 0.10.7's ``_init_dist_pytorch`` always calls
    ``torch.cuda.set_device`` ("Found no NVIDIA driver"), and ``Runner.wrap_model``
    passes ``device_ids=[LOCAL_RANK]`` to DDP, which CPU modules reject.
    """
    import torch
    import torch.distributed as torch_dist
    from mmengine.dist import utils as dist_utils
    from mmengine.model import wrappers
    from mmengine.registry import MODEL_WRAPPERS
    from mmengine.runner import runner as runner_module

    original_init = dist_utils._init_dist_pytorch
    if getattr(original_init, '_vlseg_cpu_aware', False):
        return

    def _init_dist_pytorch(backend: str = 'nccl', init_backend: str = 'torch', **kwargs):
        if torch.cuda.is_available():
            return original_init(backend, init_backend=init_backend, **kwargs)
        torch_dist.init_process_group(backend='gloo', **kwargs)

    _init_dist_pytorch._vlseg_cpu_aware = True
    dist_utils._init_dist_pytorch = _init_dist_pytorch

    if 'MMDistributedDataParallel' in MODEL_WRAPPERS.module_dict:
        base = MODEL_WRAPPERS.module_dict['MMDistributedDataParallel']
        if getattr(base, '_vlseg_cpu_aware', False):
            return

        class MMDistributedDataParallel(base):
            """mmengine's DDP wrapper that drops ``device_ids`` for CPU modules."""
            _vlseg_cpu_aware = True

            def __init__(self, module, detect_anomalous_params: bool = False, **kwargs):
                if not any(p.is_cuda for p in module.parameters()):
                    kwargs.pop('device_ids', None)
                    kwargs.pop('output_device', None)
                super().__init__(module, detect_anomalous_params, **kwargs)

        MODEL_WRAPPERS.register_module(
            name='MMDistributedDataParallel', module=MMDistributedDataParallel, force=True)
        # The Runner builds it through the registry, or by name when a config sets no
        # model_wrapper_cfg: replace both.
        wrappers.MMDistributedDataParallel = MMDistributedDataParallel
        runner_module.MMDistributedDataParallel = MMDistributedDataParallel


def _quiet_offline_hub() -> None:
    """Never let timm or transformers wait on a model hub that can't be reached.

    Weights are loaded from local paths only; a hub look-up would retry for ~30 s.
    Users who do want the hub set ``VLSEG_ALLOW_HUB=1``.
    """
    if os.environ.get('VLSEG_ALLOW_HUB') != '1':
        os.environ.setdefault('HF_HUB_OFFLINE', '1')
        os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')


_APPLIED = False


def apply_stack_fixes() -> None:
    """Apply every fix above once; safe to call again."""
    global _APPLIED
    if _APPLIED:
        return
    _quiet_offline_hub()
    _install_mmcv_ext_stand_in()
    _allow_mmengine_checkpoint_globals()
    _patch_cpu_distributed()
    _APPLIED = True
