"""``VLSegInferencer``: mmseg's ``MMSegInferencer`` with the text of each image.

Called as mmseg's inferencer is, plus ``texts``: one caption per image, one caption for
all, or ``None`` / ``''`` for an image without text (segmented text-free, or with the
report a self-guided model writes, SGSeg's ``SelfGuidedSegmentor``)::

    inferencer = VLSegInferencer('configs/tmca/tmca_convnext-t_minilm_qata_cov19_224x224.py',
                                 'tmca.pth', device='cpu')
    result = inferencer(['a.png', 'b.png'], texts=['bilateral pulmonary infection, ...', None])
    result['predictions']  # one H x W label map per image

A 3D model (``VolumeSegmentor``) takes NIfTI volumes and no text; its predictions are
``(X, Y, Z)`` masks at the volume's size and each returned data sample carries the
volume's ``affine``. Overlays are drawn by mmseg's ``SegLocalVisualizer`` (the config's
``visualizer``, as ``tools/test.py --show-dir`` draws them).

Beyond mmseg's: ``amp=True`` (bf16 autocast on a CPU, fp16 on CUDA; the outputs are fp32),
``text_source`` for self-guided models (``test_cfg.text_source``), and ``failures=[]``,
with which an image that cannot be read or segmented is appended as ``(path, reason)``
and the others are still segmented (a batch that fails is retried image by image to
find the one at fault); without it the first such image raises.
"""
from __future__ import annotations

import os
import os.path as osp
from collections.abc import Sequence
from typing import Optional, Union

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmseg.apis import MMSegInferencer
from mmseg.utils import ConfigType

from vlseg.datasets.layout_utils import IMG_EXTENSIONS
from vlseg.datasets.transforms.volume import NIFTI_EXTENSIONS
from vlseg.engine import data_samples_to_fp32, inspect_checkpoint
from vlseg.registry import DATASETS, INFERENCERS
from vlseg.utils import apply_cpu_settings, load_config, register_all_modules

#: Transforms that need a reference mask; inference has none.
ANNOTATION_TRANSFORMS = ('LoadBinaryMask', 'LoadAnnotations', 'CaptionToLocationLabels',
                         'LoadNiftiMask')

Texts = Optional[Union[str, Sequence[Optional[str]]]]


class TextSourceError(ValueError):
    """A ``text_source`` given for a model that writes no report of its own."""


def list_inputs(inputs: Union[str, Sequence[str]], extensions: tuple[str, ...]) -> list[str]:
    """Files given, and the files of the folders given whose names end in ``extensions``."""
    paths = []
    for item in [inputs] if isinstance(inputs, str) else inputs:
        if osp.isdir(item):
            paths += sorted(osp.join(item, name) for name in os.listdir(item)
                            if name.lower().endswith(extensions))
        elif osp.isfile(item):
            paths.append(item)
        else:
            raise FileNotFoundError(f'no such file or folder: {item}')
    if not paths:
        raise FileNotFoundError(f'no input files ({", ".join(extensions)}) in {inputs}')
    return paths


def autocast(model: torch.nn.Module, enabled: bool):
    """``torch.autocast`` on ``model``'s device: bf16 on a CPU, fp16 on CUDA (``--amp``)."""
    device_type = next(model.parameters()).device.type
    dtype = torch.bfloat16 if device_type == 'cpu' else torch.float16
    return torch.autocast(device_type, dtype=dtype, enabled=enabled)


@INFERENCERS.register_module()
class VLSegInferencer(MMSegInferencer):
    """Segment images (with or without their text) or CT volumes with a vlseg model.

    Args:
        model: config file (or ``Config``) of the model.
        weights: checkpoint file; checked first (:func:`vlseg.engine.inspect_checkpoint`),
            so a file that is not a checkpoint is named as what it is.
        device: ``'cpu'``, ``'cuda'``...; ``None`` takes the available one.
        cfg_options: overrides merged into the config (as ``--cfg-options``).
        text_source: self-guided models only, their ``test_cfg.text_source``
            (default here ``'caption_or_generated'``: the caption where given, else
            the generated report).
        amp: mixed precision for every call.
        show_progress: a progress bar over the batches (mmengine's).
    """

    def __init__(self, model: Union[str, ConfigType], weights: Optional[str] = None,
                 device: Optional[str] = None, cfg_options: Optional[dict] = None,
                 text_source: Optional[str] = None, amp: bool = False,
                 show_progress: bool = False) -> None:
        register_all_modules()
        cfg = load_config(model, cfg_options) if isinstance(model, str) else model
        apply_cpu_settings(cfg)
        if weights is not None:
            inspect_checkpoint(weights)  # a clear CheckpointError for a file that is not one
        super().__init__(cfg, weights, device=device, scope='vlseg')
        self.show_progress = show_progress
        self.amp = amp
        from vlseg.models.segmentors import SelfGuidedSegmentor, VolumeSegmentor
        self.is_volume_model = isinstance(self.model, VolumeSegmentor)
        self.extensions = NIFTI_EXTENSIONS if self.is_volume_model else IMG_EXTENSIONS
        self.self_guided = isinstance(self.model, SelfGuidedSegmentor)
        if self.self_guided:
            self.model.test_cfg['text_source'] = text_source or 'caption_or_generated'
        elif text_source:
            raise TextSourceError(f'VLSegInferencer: text_source needs a self-guided model '
                                  f'(SelfGuidedSegmentor); the config builds a '
                                  f'{type(self.model).__name__}')

    def _init_visualizer(self, cfg: ConfigType):
        """The config's visualiser, without its logging backends: an inferencer writes
        the pictures it is asked for (``out_dir``), no training logs."""
        cfg = cfg.copy()
        cfg.visualizer = dict(cfg.visualizer, vis_backends=None)
        return super()._init_visualizer(cfg)

    def _load_weights_to_model(self, model: torch.nn.Module, checkpoint: Optional[dict],
                               cfg: Optional[ConfigType]) -> None:
        """mmseg's, with the classes of the config's test dataset where the checkpoint
        has none (mmseg falls back to Cityscapes')."""
        if checkpoint is not None and 'dataset_meta' in checkpoint.get('meta', {}):
            super()._load_weights_to_model(model, checkpoint, cfg)
            return
        if checkpoint is not None:
            from mmengine.runner.checkpoint import _load_checkpoint_to_model
            _load_checkpoint_to_model(model, checkpoint)
        metainfo = getattr(DATASETS.get(cfg.test_dataloader.dataset.type), 'METAINFO', {})
        model.dataset_meta = dict(classes=metainfo.get('classes', ('background', 'lesion')),
                                  palette=metainfo.get('palette', [[0, 0, 0], [255, 0, 0]]))

    def _init_collate(self, cfg: ConfigType):
        """mmengine's ``pseudo_collate`` (the batches are lists of packed samples, which the
        model's data preprocessor stacks), without a look-up in a registry vlseg has not."""
        return pseudo_collate

    def _init_pipeline(self, cfg: ConfigType) -> Compose:
        """The config's test pipeline without the steps that need a reference mask."""
        steps = [step for step in cfg.test_dataloader.dataset.pipeline
                 if step['type'].split('.')[-1] not in ANNOTATION_TRANSFORMS]
        return Compose(steps)

    def _load(self, path: str, text: Optional[str]) -> dict:
        """One input through the pipeline: an image with its text, or a volume."""
        if self.is_volume_model:
            from vlseg.datasets.ct_volume import case_key, case_name

            # The case name, as dataset records carry it (NormalizeCTIntensity's ranges).
            return self.pipeline(dict(img_path=path, case=case_key(case_name(path))))
        return self.pipeline(dict(img_path=path, text=text or ''))

    @torch.no_grad()
    def forward(self, inputs: dict, **kwargs) -> list:
        with autocast(self.model, self.amp):
            return data_samples_to_fp32(self.model.test_step(inputs))

    def segment(self, paths: Sequence[str], texts: Sequence[Optional[str]],
                batch_size: int = 1,
                failures: Optional[list[tuple[str, str]]] = None) -> list:
        """One data sample per path (``None`` for a path listed in ``failures``)."""
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
                    packed = self._load(paths[index], texts[index])
                except Exception as error:  # noqa: BLE001 - reported per image
                    fail(paths[index], error)
                    continue
                batch['inputs'].append(packed['inputs'])
                batch['data_samples'].append(packed['data_samples'])
                indices.append(index)
            if not indices:
                continue
            try:
                outputs = self.forward(batch)
            except Exception as error:  # noqa: BLE001 - find the images at fault
                if failures is None or len(indices) == 1:
                    fail(paths[indices[0]], error)
                    continue
                outputs = []
                for index, inputs, sample in zip(indices, batch['inputs'],
                                                 batch['data_samples']):
                    try:
                        outputs += self.forward(dict(inputs=[inputs], data_samples=[sample]))
                    except Exception as one_error:  # noqa: BLE001 - reported per image
                        fail(paths[index], one_error)
                        outputs.append(None)
            for index, output in zip(indices, outputs):
                results[index] = output
        return results

    def __call__(self, inputs: Union[str, Sequence[str]], texts: Texts = None,
                 return_datasamples: bool = False, batch_size: int = 1,
                 return_vis: bool = False, show: bool = False, wait_time: int = 0,
                 out_dir: str = '', img_out_dir: str = 'vis', pred_out_dir: str = 'pred',
                 failures: Optional[list[tuple[str, str]]] = None, **kwargs) -> dict:
        """mmseg's call with ``texts`` (see the module docstring) and ``failures``.

        ``inputs``: image (or NIfTI volume) files, or a folder of them. With
        ``failures`` the results hold the inputs that could be segmented, in order
        (each data sample names its file in ``img_path``).
        """
        paths = list_inputs(inputs, self.extensions)
        if texts is None or isinstance(texts, str):
            texts = [texts] * len(paths)
        texts = list(texts)
        if len(texts) != len(paths):
            raise ValueError(f'VLSegInferencer: {len(paths)} inputs but {len(texts)} texts')
        if self.is_volume_model and any(texts):
            raise ValueError('VLSegInferencer: 3D models read no text; pass texts=None')
        samples = self.segment(paths, texts, batch_size, failures)
        kept = [index for index, sample in enumerate(samples) if sample is not None]
        paths = [paths[index] for index in kept]
        preds = [samples[index] for index in kept]
        if out_dir:
            pred_out_dir = f'{out_dir}/{pred_out_dir}'
            img_out_dir = f'{out_dir}/{img_out_dir}'
        else:
            pred_out_dir = img_out_dir = ''
        visualization = None
        if not self.is_volume_model:
            visualization = self.visualize(paths, preds, return_vis=return_vis, show=show,
                                           wait_time=wait_time, img_out_dir=img_out_dir,
                                           **kwargs)
        return self.postprocess(preds, visualization, return_datasamples, pred_out_dir)

    def postprocess(self, preds: list, visualization: Optional[list],
                    return_datasample: bool = False, pred_out_dir: str = '') -> dict:
        """mmseg's; a 3D model's predictions are its ``(X, Y, Z)`` uint8 masks, written
        (with ``out_dir``) as ``pred/CASE.nii.gz`` with the volume's affine."""
        if not self.is_volume_model or return_datasample:
            return super().postprocess(preds, visualization, return_datasample, pred_out_dir)
        from vlseg.datasets.ct_volume import case_name
        from vlseg.evaluation.metrics.volume_dice_metric import save_nifti_mask

        masks = [sample.pred_volume[0].cpu().numpy().astype(np.uint8) for sample in preds]
        for sample, mask in zip(preds, masks):
            if pred_out_dir:
                os.makedirs(pred_out_dir, exist_ok=True)
                save_nifti_mask(mask, sample.metainfo['affine'], osp.join(
                    pred_out_dir, case_name(sample.metainfo['img_path']) + '.nii.gz'))
        return dict(predictions=masks[0] if len(masks) == 1 else masks, visualization=[])

