"""mmcv's ``ConvModule`` with PyTorch's initialisation and the keys of older checkpoints.

The conv-norm-activation units of vlseg's heads and encoders are mmcv ``ConvModule``s, as
mmseg's are (``conv``, ``bn``/``gn``..., ``activate``). Two things differ from a plain
``ConvModule``, both so that a model stays the one its authors trained:

- initialisation: PyTorch's defaults, as in the authors' code (``ConvModule`` would draw
  Kaiming-normal convolutions and set the norms to 1 / 0);
- checkpoints written while these units were ``nn.Sequential`` (keys ``0.*`` conv,
  ``1.*`` norm) or had a ``norm`` attribute load unchanged: their keys are renamed to
  ``ConvModule``'s when they are read.
"""
from __future__ import annotations

import warnings

from mmcv.cnn import ConvModule


class AuthorsConvModule(ConvModule):
    """``ConvModule`` (conv - norm - act) with PyTorch's init; reads older keys.

    Args:
        legacy_names: the old names of the ``conv``, norm and activation children,
            e.g. ``('0', '1')`` for an ``nn.Sequential(conv, norm)``.
        args, kwargs: as mmcv's ``ConvModule`` (``bias`` as given: the authors' units
            that have a bias before their batch norm keep it).
    """

    def __init__(self, *args, legacy_names: tuple[str, ...] = ('0', '1', '2'),
                 **kwargs) -> None:
        with warnings.catch_warnings():
            # A conv bias before a batch norm is the authors' (their parameter count).
            warnings.filterwarnings('ignore', message='Unnecessary conv bias')
            super().__init__(*args, **kwargs)
        current = ['conv', self.norm_name if self.with_norm else None,
                   'activate' if self.with_activation else None]
        self.legacy_names = {old: new for old, new in zip(legacy_names, current)
                             if new is not None and old != new}

    def init_weights(self) -> None:
        """PyTorch's default initialisation (the authors'), left as built."""

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        for key in [key for key in state_dict if key.startswith(prefix)]:
            child, _, rest = key[len(prefix):].partition('.')
            if rest and child in self.legacy_names:
                state_dict[f'{prefix}{self.legacy_names[child]}.{rest}'] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

