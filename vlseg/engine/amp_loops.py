"""Validation and test loops under autocast whose outputs reach metrics and hooks in fp32.

mmengine's ``ValLoop(fp16=True)`` / ``TestLoop(fp16=True)`` run the model's step under
``autocast`` (bf16 on a CPU, fp16 on CUDA) and hand its outputs on as they come: a
segmentor's ``seg_logits`` are then half precision, which NumPy cannot hold (the
visualisation hook fails) and which thresholds and averages less exactly. These loops
cast every floating-point tensor of the outputs back to fp32 first
(:func:`data_samples_to_fp32`); ``tools/test.py --amp`` and ``tools/train.py --amp`` use
them (:func:`vlseg.utils.enable_amp`).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.runner import TestLoop, ValLoop
from mmengine.structures import BaseDataElement

from vlseg.registry import LOOPS


def data_samples_to_fp32(samples: Sequence) -> Sequence:
    """Cast, in place, the floating-point tensors of data samples (nested too) to fp32."""
    for sample in samples:
        if isinstance(sample, BaseDataElement):
            _element_to_fp32(sample)
    return samples


def _element_to_fp32(element: BaseDataElement) -> None:
    for key, value in list(element.items()):
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            if value.dtype != torch.float32:
                element.set_field(value.float(), key, field_type='data')
        elif isinstance(value, BaseDataElement):
            _element_to_fp32(value)


class _FP32Outputs:
    """Wrap the model's step so that its outputs come back in fp32."""

    step_name = ''

    def run(self):
        model = self.runner.model
        # An instance attribute (mmengine's compile=True puts the compiled step there) is
        # put back afterwards; otherwise the class's method serves again.
        own = self.step_name in vars(model)
        step = getattr(model, self.step_name)

        def fp32_step(*args, **kwargs):
            return data_samples_to_fp32(step(*args, **kwargs))

        setattr(model, self.step_name, fp32_step)
        try:
            return super().run()
        finally:
            if own:
                setattr(model, self.step_name, step)
            else:
                delattr(model, self.step_name)


@LOOPS.register_module()
class AutocastValLoop(_FP32Outputs, ValLoop):
    """``ValLoop`` under autocast (``fp16=True``), fp32 outputs."""

    step_name = 'val_step'

    def __init__(self, runner, dataloader, evaluator, fp16: bool = True) -> None:
        super().__init__(runner, dataloader, evaluator, fp16=fp16)


@LOOPS.register_module()
class AutocastTestLoop(_FP32Outputs, TestLoop):
    """``TestLoop`` under autocast (``fp16=True``), fp32 outputs."""

    step_name = 'test_step'

    def __init__(self, runner, dataloader, evaluator, fp16: bool = True) -> None:
        super().__init__(runner, dataloader, evaluator, fp16=fp16)
