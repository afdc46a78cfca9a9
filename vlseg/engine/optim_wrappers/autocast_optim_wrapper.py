"""An optimiser wrapper that runs the forward under ``torch.autocast``, on CPU or CUDA.

mmengine's ``AmpOptimWrapper`` refuses to run without a GPU, so bf16 training on a
CPU with AMX (Intel Sapphire Rapids and later: ``amx_bf16`` in ``lscpu``) needs this
one. bf16 keeps fp32's exponent range, so no loss scaling is needed and there is
none here; for fp16 on CUDA (which needs it) use ``AmpOptimWrapper``.
``tools/train.py --amp`` picks between the two (:func:`vlseg.utils.enable_amp`).

Parameters, gradients and the optimiser state stay fp32; only the ops autocast lists
(convolutions, matrix products, attention) run in bf16. Losses are computed in fp32
by vlseg's loss modules (:func:`vlseg.models.losses.fp32_loss`).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Union

import torch
from mmengine.optim import OptimWrapper

from vlseg.registry import OPTIM_WRAPPERS

_DTYPES = {'bfloat16': torch.bfloat16, 'float16': torch.float16}


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose ``optim_context`` enters ``torch.autocast``.

    Args:
        dtype: ``'bfloat16'`` (default) or, on CUDA only, ``'float16'`` (without loss
            scaling: prefer ``AmpOptimWrapper`` for fp16).
        device_type: ``None`` (the device of the first parameter when the context is
            entered) or ``'cpu'`` / ``'cuda'``.
        kwargs: as ``OptimWrapper``.
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16',
                 device_type: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(dtype, str):
            if dtype not in _DTYPES:
                raise ValueError(f'AutocastOptimWrapper: dtype must be one of '
                                 f'{sorted(_DTYPES)}, got {dtype!r}')
            dtype = _DTYPES[dtype]
        self.dtype = dtype
        self.device_type = device_type

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        device_type = self.device_type
        if device_type is None:
            parameter = next(model.parameters(), None)
            device_type = 'cpu' if parameter is None else parameter.device.type
        if device_type == 'cpu' and self.dtype != torch.bfloat16:
            raise ValueError('AutocastOptimWrapper: CPU autocast runs in bfloat16 only')
        with super().optim_context(model), torch.autocast(device_type, dtype=self.dtype):
            yield
