"""DDP wrapper that keeps ``MultiScaleStepEncoderDecoder``'s one optimiser step per scale.

mmengine's ``MMDistributedDataParallel.train_step`` pre-processes the batch, runs
one DDP forward and one ``update_params``; it never calls the model's
``train_step``, so Inf-Net's multi-scale training (one full step per scale, see
``vlseg/models/segmentors/multi_scale_step_encoder_decoder.py``) would silently
train each batch once. ``MultiScaleStepDDP`` runs the model's per-scale loop
(``module.multi_scale_train_step``) with the DDP forward (``self._run_forward``),
so each scale's backward all-reduces the gradients across ranks before its step.

It subclasses the DDP wrapper vlseg runs with: mmengine's
``MMDistributedDataParallel`` as patched by ``vlseg.utils.compat`` (which drops
``device_ids`` for CPU modules, so gloo runs work). Use it from a config
(``tools/train.py`` with a launcher; without one the Runner does not wrap)::

    model_wrapper_cfg = dict(type='MultiScaleStepDDP')

It is registered in vlseg's ``MODEL_WRAPPERS`` and, under the same name, in
mmengine's root ``MODEL_WRAPPERS``: ``Runner.wrap_model`` first looks the type up
with the root registry's ``get``, which neither follows the default scope nor
reaches vlseg's registries (children of mmseg's: ``'vlseg.MultiScaleStepDDP'``
is not found there), and then builds it through the default scope ``vlseg``.
"""
from __future__ import annotations

from typing import Union

import torch
from mmengine.model.wrappers import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS

from vlseg.registry import MODEL_WRAPPERS


# ``import vlseg`` applies the stack fixes before any submodule loads, so this is the
# CPU-aware class (vlseg.utils.compat).
@MODEL_WRAPPERS.register_module()
class MultiScaleStepDDP(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` whose ``train_step`` is the module's per-scale loop.

    The wrapped module must have ``multi_scale_train_step(data, optim_wrapper,
    forward_model)`` (``MultiScaleStepEncoderDecoder``). Arguments as
    ``MMDistributedDataParallel`` (its debugging option ``detect_anomalous_params``
    is not applied to the per-scale steps); validation and test steps are the module's.
    """

    def __init__(self, module, detect_anomalous_params: bool = False, **kwargs) -> None:
        if not callable(getattr(module, 'multi_scale_train_step', None)):
            raise TypeError(f'MultiScaleStepDDP wraps a model with multi_scale_train_step '
                            f'(MultiScaleStepEncoderDecoder), got {type(module).__name__}')
        super().__init__(module, detect_anomalous_params, **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> dict[str, torch.Tensor]:
        """One synchronised optimiser step per training scale (see the module docstring)."""
        return self.module.multi_scale_train_step(data, optim_wrapper, self)


# The Runner's type check reads mmengine's root registry (see the module docstring).
MMENGINE_MODEL_WRAPPERS.register_module(name='MultiScaleStepDDP', module=MultiScaleStepDDP)
