"""Build a segmentor from a config and run it on images, with or without captions."""
from __future__ import annotations

import copy
from typing import Optional, Sequence, Union

import torch
from mmengine.dataset import Compose
from mmengine.runner import load_checkpoint

from vlseg.registry import MODELS
from vlseg.utils import load_config, register_all_modules

# Transforms that need a reference mask; inference has none.
_ANNOTATION_TRANSFORMS = ('LoadBinaryMask', 'LoadAnnotations', 'CaptionToLocationLabels')


def init_model(config: str, checkpoint: Optional[str] = None, device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of ``config``, load ``checkpoint`` (weights-only) and set eval mode."""
    register_all_modules()
    cfg = load_config(config, cfg_options)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu')
    model.cfg = cfg
    model.to(device)
    model.eval()
    return model


def build_inference_pipeline(cfg) -> Compose:
    """The config's test pipeline without the steps that need a reference mask."""
    steps = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    steps = [step for step in steps if step['type'].split('.')[-1] not in _ANNOTATION_TRANSFORMS]
    return Compose(steps)


@torch.no_grad()
def inference_model(model: torch.nn.Module, images: Union[str, Sequence[str]],
                    captions: Optional[Union[str, Sequence[Optional[str]]]] = None,
                    batch_size: int = 4) -> list:
    """Segment image files; a missing caption (``None`` or ``''``) runs text-free.

    Returns one ``SegDataSample`` per image with ``pred_sem_seg`` and ``seg_logits``
    at the image's original size; the caption used is in its metainfo ``text``.
    """
    single = isinstance(images, str)
    paths = [images] if single else list(images)
    if captions is None or isinstance(captions, str):
        captions = [captions] * len(paths)
    if len(captions) != len(paths):
        raise ValueError(f'inference_model: {len(paths)} images but {len(captions)} captions')
    pipeline = build_inference_pipeline(model.cfg)
    results = []
    for start in range(0, len(paths), batch_size):
        batch = dict(inputs=[], data_samples=[])
        for path, caption in zip(paths[start:start + batch_size],
                                 captions[start:start + batch_size]):
            packed = pipeline(dict(img_path=path, text=caption or ''))
            batch['inputs'].append(packed['inputs'])
            batch['data_samples'].append(packed['data_samples'])
        results.extend(model.test_step(batch))
    return results[0] if single else results
