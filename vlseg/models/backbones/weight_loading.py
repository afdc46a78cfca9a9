"""Local ImageNet weights for vlseg's backbones: read a file, map keys, load strictly.

Shared by ``TimmConvNeXt``, ``TimmFeatures``/``TimmVGG`` and ``IResNet``. Backbones
never download: a state dict is read from a local ``.pth``/``.pt``/``.bin`` or
``.safetensors`` file and every tensor of the network must come from it.

- :func:`check_weight_source`: ``pretrained_path`` and ``init_cfg`` exclude each other;
- :func:`read_state_dict`: the tensors of a file, unwrapping the usual containers
  (``state_dict``, ``model``, ``state_dict_ema``) and a ``module.`` prefix;
- :func:`classification_key`: the key a timm classification checkpoint gives to a
  tensor of the ``features_only`` model (``features_3.weight`` -> ``features.3.weight``);
- :func:`load_state_dict_strictly`: load a module from such a dict through a key map.
  Missing tensors, shape mismatches and unused keys raise, naming the file and the
  first offending keys; only classifier keys (``CLASSIFIER_PREFIXES`` by default)
  and keys a caller declares untapped may stay unused.
"""
from __future__ import annotations

import os
import re
from typing import Callable, Collection, Optional, Sequence

import torch
import torch.nn as nn

# Keys of an ImageNet classification checkpoint that no feature extractor uses:
# torchvision / timm ResNets, Res2Net, ResNeSt and iResNet ``fc``; timm ``head``
# (ConvNeXt, ViTs); torchvision VGG ``classifier``; timm VGG ``pre_logits`` (fc6/fc7).
CLASSIFIER_PREFIXES = ('fc.', 'head.', 'classifier.', 'pre_logits.')

# Containers that training frameworks wrap a state dict in, tried in this order.
_CONTAINER_KEYS = ('state_dict', 'model', 'state_dict_ema')


def check_weight_source(owner: str, pretrained_path: Optional[str],
                        init_cfg: Optional[object]) -> None:
    """Weights come from ``pretrained_path`` or from ``init_cfg``, never both."""
    if pretrained_path is not None and init_cfg is not None:
        raise ValueError(f'{owner}: give pretrained_path or init_cfg, not both')


def read_state_dict(path: str, owner: str, hint: str = '') -> dict[str, torch.Tensor]:
    """A state dict of tensors from a local ``.pth``/``.pt``/``.bin`` or ``.safetensors``.

    Unwraps ``state_dict``/``model``/``state_dict_ema`` containers and strips a
    ``module.`` prefix (checkpoints saved from ``DataParallel``).

    Args:
        path: the file.
        owner: the component, named in errors (e.g. ``'TimmFeatures(resnet50)'``).
        hint: how to make the file, appended to the not-found error.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f'{owner}: pretrained weights not found: {path}. Backbones never download: '
            'save the ImageNet state dict on a machine with internet access and point '
            f'pretrained_path to it.{" " + hint if hint else ""}')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        state = load_file(path, device='cpu')
    else:
        # A foreign file: weights only (plain tensors), never arbitrary objects.
        state = torch.load(path, map_location='cpu', weights_only=True)
    for key in _CONTAINER_KEYS:
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor)
                                              for v in state.values()):
        raise TypeError(f'{owner}: {path} does not hold a state dict of tensors')
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


def classification_key(key: str, available: Collection[str] = ()) -> str:
    """The classification-checkpoint key of a timm ``features_only`` key.

    timm's ``FeatureListNet`` flattens nested children into top-level modules named
    ``stem_0``, ``stages_2``, ``features_3``...; the checkpoint says ``stem.0``,
    ``stages.2``, ``features.3``. A key already in ``available`` (a checkpoint saved
    from the features-only model) is kept as it is.
    """
    if key in available:
        return key
    top, _, rest = key.partition('.')
    match = re.fullmatch(r'(.+)_(\d+)', top)
    return f'{match.group(1)}.{match.group(2)}.{rest}' if match else key


def _show(keys: Sequence[str], limit: int = 8) -> str:
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def load_state_dict_strictly(
        module: nn.Module,
        source: dict[str, torch.Tensor],
        path: str,
        owner: str,
        key_map: Optional[Callable[[str], str]] = None,
        ignore_prefixes: Sequence[str] = CLASSIFIER_PREFIXES,
        untapped: Optional[Callable[[], Collection[str]]] = None,
        hint: str = '') -> list[str]:
    """Load every tensor of ``module`` from ``source``; return the source keys left unused.

    Args:
        module: the network to load (its ``state_dict`` keys are the targets).
        source: the checkpoint's tensors (:func:`read_state_dict`).
        path, owner: named in errors.
        key_map: the source key of a module key (identity by default).
        ignore_prefixes: source keys that may stay unused (the classifier).
        untapped: called only when other source keys stay unused; returns the keys
            that may stay unused too (layers of the full network past the last
            tapped one, which a truncated ``features_only`` model does not build).
        hint: what the file should be, appended to the mismatch error.

    A module key without a source tensor, or a source key used by nothing and not
    ignorable, raises ``RuntimeError`` naming the file and the first keys of each
    kind; BatchNorm's ``num_batches_tracked`` may be absent (older releases, e.g.
    torchvision's first ResNet-50 file, lack it) and then keeps its value. A shape
    mismatch raises naming the file.
    """
    target = module.state_dict()
    prefixes = tuple(ignore_prefixes)
    mapped: dict[str, torch.Tensor] = {}
    missing: list[str] = []
    used: set[str] = set()
    for key in target:
        src = key_map(key) if key_map is not None else key
        if src in source:
            mapped[key] = source[src]
            used.add(src)
        elif key.endswith('num_batches_tracked'):
            mapped[key] = target[key]
        else:
            missing.append(src)
    unexpected = [k for k in source if k not in used and not k.startswith(prefixes)]
    allowed: set[str] = set()
    if unexpected and untapped is not None:
        allowed = set(untapped())
        unexpected = [k for k in unexpected if k not in allowed]
    if missing or unexpected:
        raise RuntimeError(
            f'{owner}: {path} does not match the network: {len(missing)} missing keys '
            f'[{_show(missing)}], {len(unexpected)} unexpected keys [{_show(unexpected)}].'
            f'{" " + hint if hint else ""}')
    try:
        module.load_state_dict(mapped, strict=True)
    except RuntimeError as error:
        raise RuntimeError(f'{owner}: cannot load {path}: {error}') from error
    return [k for k in source if k not in used]
