"""A CUDA device faked on the CPU, to check where a model puts its tensors without a GPU.

PyTorch's ``FakeTensorMode`` (the shape propagation behind ``torch.compile``) gives tensors
a device, shape and dtype but no memory and runs no kernels, so a model can be moved to
``'cuda'`` and run on a machine without one. It refuses any operation that mixes a tensor
on the CUDA device with one made on the CPU, which is the bug a GPU user meets first (a
``torch.zeros`` without ``device=`` in a forward); ``torch.autocast('cuda')`` casts fake
tensors as it casts real ones. Fake tensors hold no values, so what a step reads out of its
tensors (``.item()``, ``bool()``, ``.numpy()``) is a stand-in: 1 (``True``, ``1.0``) for
a scalar, zeros for an array, a ``nonzero`` as long as its input. Backward is out of reach:
autograd's engine needs a CUDA context for CUDA tensors.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode

aten = torch.ops.aten


class ValueFreeFakeTensorMode(FakeTensorMode):
    """``FakeTensorMode`` whose data-dependent reads give stand-in values (module doc)."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is aten._local_scalar_dense.default:
            dtype = args[0].dtype
            return True if dtype == torch.bool else 1.0 if dtype.is_floating_point else 1
        if func is aten.nonzero.default:
            source = args[0]
            return super().__torch_dispatch__(
                aten.new_empty.default, types, (source, (source.numel(), source.dim())),
                dict(dtype=torch.long))
        return super().__torch_dispatch__(func, types, args, kwargs)


def cuda_fp16_autocast() -> torch.autocast:
    """``torch.autocast('cuda', float16)``, switched on although no GPU is present (its
    constructor would otherwise warn and disable itself)."""
    available = torch.cuda.is_available
    torch.cuda.is_available = lambda: True
    try:
        return torch.autocast('cuda', dtype=torch.float16)
    finally:
        torch.cuda.is_available = available


@contextlib.contextmanager
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Inside: tensors may live on ``'cuda'``; ``.numpy()`` of a fake tensor gives zeros."""
    to_numpy = torch.Tensor.numpy

    def numpy(tensor, *args, **kwargs):
        if isinstance(tensor, FakeTensor):
            return np.zeros(tuple(tensor.shape), np.float32)
        return to_numpy(tensor, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(torch.Tensor, 'numpy', numpy)
        with ValueFreeFakeTensorMode(allow_non_fake_inputs=True):
            yield
