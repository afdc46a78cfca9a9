"""Build a segmentor from a config and run it on images, with or without captions."""
from __future__ import annotations

import copy
from typing import Optional, Sequence, Union

import torch
from mmengine.dataset import Compose
from mmengine.runner import load_checkpoint

from vlseg.engine import data_samples_to_fp32, inspect_checkpoint
from vlseg.registry import MODELS
from vlseg.utils import load_config, register_all_modules

# Transforms that need a reference mask; inference has none.
_ANNOTATION_TRANSFORMS = ('LoadBinaryMask', 'LoadAnnotations', 'CaptionToLocationLabels',
                          'LoadNiftiMask')


def init_model(config: str, checkpoint: Optional[str] = None, device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of ``config``, load ``checkpoint`` (weights-only) and set eval mode."""
    register_all_modules()
    cfg = load_config(config, cfg_options)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        inspect_checkpoint(checkpoint)  # a clear CheckpointError for a file that is not one
        load_checkpoint(model, checkpoint, map_location='cpu')
    model.cfg = cfg
    model.to(device)
    model.eval()
    return model


def autocast(model: torch.nn.Module, enabled: bool):
    """``torch.autocast`` on ``model``'s device: bf16 on a CPU, fp16 on CUDA (``--amp``)."""
    device_type = next(model.parameters()).device.type
    dtype = torch.bfloat16 if device_type == 'cpu' else torch.float16
    return torch.autocast(device_type, dtype=dtype, enabled=enabled)


def build_inference_pipeline(cfg) -> Compose:
    """The config's test pipeline without the steps that need a reference mask."""
    steps = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    steps = [step for step in steps if step['type'].split('.')[-1] not in _ANNOTATION_TRANSFORMS]
    return Compose(steps)


@torch.no_grad()
def inference_model(model: torch.nn.Module, images: Union[str, Sequence[str]],
                    captions: Optional[Union[str, Sequence[Optional[str]]]] = None,
                    batch_size: int = 4,
                    failures: Optional[list[tuple[str, str]]] = None,
                    amp: bool = False) -> list:
    """Segment image files; a missing caption (``None`` or ``''``) runs text-free.

    Returns one ``SegDataSample`` per image with ``pred_sem_seg`` and ``seg_logits``
    at the image's original size; the caption used is in its metainfo ``text``.

    Args:
        failures: ``None`` (the first image that cannot be loaded or segmented raises)
            or a list: each such image is appended as ``(path, reason)``, its result is
            ``None``, and the other images are still segmented.
        amp: mixed precision (:func:`autocast`); the logits returned are fp32.
    """
    single = isinstance(images, str)
    paths = [images] if single else list(images)
    if captions is None or isinstance(captions, str):
        captions = [captions] * len(paths)
    if len(captions) != len(paths):
        raise ValueError(f'inference_model: {len(paths)} images but {len(captions)} captions')
    pipeline = build_inference_pipeline(model.cfg)

    def fail(path: str, error: Exception) -> None:
        if failures is None:
            raise error
        failures.append((path, f'{type(error).__name__}: {error}'))

    results: list = [None] * len(paths)
    for start in range(0, len(paths), batch_size):
        batch = dict(inputs=[], data_samples=[])
        indices = []
        for index in range(start, min(start + batch_size, len(paths))):
            try:
                packed = pipeline(dict(img_path=paths[index], text=captions[index] or ''))
            except Exception as error:  # noqa: BLE001 - reported per image
                fail(paths[index], error)
                continue
            batch['inputs'].append(packed['inputs'])
            batch['data_samples'].append(packed['data_samples'])
            indices.append(index)
        if not indices:
            continue
        try:
            with autocast(model, amp):
                outputs = data_samples_to_fp32(model.test_step(batch))
        except Exception as error:  # noqa: BLE001 - find the images at fault
            if failures is None:
                raise
            if len(indices) == 1:
                fail(paths[indices[0]], error)
                continue
            outputs = []
            for index, inputs, sample in zip(indices, batch['inputs'], batch['data_samples']):
                try:
                    with autocast(model, amp):
                        outputs += data_samples_to_fp32(model.test_step(
                            dict(inputs=[inputs], data_samples=[sample])))
                except Exception as one_error:  # noqa: BLE001 - reported per image
                    fail(paths[index], one_error)
                    outputs.append(None)
        for index, output in zip(indices, outputs):
            results[index] = output
    return results[0] if single else results


@torch.no_grad()
def inference_volume(model: torch.nn.Module, path: str, amp: bool = False):
    """Segment one CT volume (NIfTI) with a ``VolumeSegmentor`` by sliding windows.

    Returns:
        ``(mask, affine)``: the uint8 lesion mask ``(X, Y, Z)`` at the volume's size
        and the volume's affine, to write the mask beside it (``amp``: as
        :func:`inference_model`).
    """
    from vlseg.datasets.ct_volume import case_key, case_name

    # The case name, as dataset records carry it (NormalizeCTIntensity's stored_ranges).
    packed = build_inference_pipeline(model.cfg)(dict(img_path=path,
                                                      case=case_key(case_name(path))))
    with autocast(model, amp):
        sample = data_samples_to_fp32(model.test_step(
            dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']])))[0]
    return sample.pred_volume[0].cpu().numpy(), sample.metainfo['affine']
