"""Average the logged losses over ranks and stop at the first non-finite one."""
from __future__ import annotations

import math
from typing import Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook

from vlseg.registry import HOOKS


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


def _as_float(value) -> float:
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Check the loss after every training iteration, on every rank together.

    Under distributed training the scalar outputs of the step (``loss``,
    ``decode.loss_ce``...) are first averaged over ranks, so every rank logs the
    loss of the global batch and every rank sees a non-finite loss at the same
    iteration: a rank that stopped alone would leave the others waiting in the
    next collective call forever.

    mmengine's ``CheckInvalidLossHook`` checks every 50 iterations with a bare
    assertion; this one checks each iteration (one scalar comparison) and
    raises :class:`NonFiniteLossError` naming the iteration, the non-finite loss
    terms and the images of the batch, before the step can be checkpointed.
    It runs before mmengine's ``RuntimeInfoHook``, which hands outputs to the logger.
    """

    priority = 'HIGHEST'

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or 'loss' not in outputs:
            return
        scalar_keys = [key for key, value in outputs.items()
                       if isinstance(value, torch.Tensor) and value.numel() == 1]
        if get_world_size() > 1 and scalar_keys:
            values = torch.stack([outputs[key].detach().float().reshape(()) for key in scalar_keys])
            all_reduce(values, op='mean')
            for key, value in zip(scalar_keys, values):
                outputs[key] = value
        loss = _as_float(outputs['loss'])
        if math.isfinite(loss):
            return
        bad_terms = [f'{key}={_as_float(outputs[key]):.4g}' for key in scalar_keys
                     if 'loss' in key and not math.isfinite(_as_float(outputs[key]))]
        images = [sample.metainfo.get('img_path', '?')
                  for sample in (data_batch or {}).get('data_samples', None) or []
                  if hasattr(sample, 'metainfo')]
        raise NonFiniteLossError(
            f'loss is {loss} at iteration {runner.iter + 1}; non-finite terms: '
            f'{", ".join(bad_terms) or "loss"}; images of this rank\'s batch: '
            f'{", ".join(images) or "unknown"}. Check these inputs, lower the learning rate '
            'or clip gradients, then resume from the last checkpoint (tools/train.py --resume).')
