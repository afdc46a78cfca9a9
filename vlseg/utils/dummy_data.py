"""Batches built through a config's own pipeline, for benchmarks and complexity counts."""
from __future__ import annotations

import os.path as osp
import tempfile

import cv2
import numpy as np
from mmengine.dataset import Compose, pseudo_collate

# A QaTa-style caption, so that text transforms in the pipeline have real work.
DEFAULT_CAPTION = ('bilateral pulmonary infection, three infected areas, '
                   'middle lower left lung and lower right lung.')


def make_batch(cfg, batch_size: int, size: tuple[int, ...], mode: str = 'train',
               caption: str = DEFAULT_CAPTION, seed: int = 0) -> dict:
    """A collated batch of random grey images and masks of ``size`` (H, W), or of random
    CT-like volumes (NIfTI, HU values) and masks when ``size`` is ``(X, Y, Z)``.

    The images go through the config's train (``mode='train'``) or test pipeline,
    so every method gets exactly the inputs (tokens, lesion vectors...) it
    trains or infers on. Resizing and cropping steps in the pipeline still apply.
    """
    loader = cfg.train_dataloader if mode == 'train' else cfg.test_dataloader
    dataset = loader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:  # RepeatDataset and the like
        dataset = dataset.dataset
    pipeline = Compose(dataset.pipeline)
    rng = np.random.default_rng(seed)
    samples = []
    volumes = len(size) == 3
    with tempfile.TemporaryDirectory(prefix='vlseg-batch-') as folder:
        for index in range(batch_size):
            mask = np.zeros(size, np.uint8)
            mask[size[0] // 4:size[0] // 2, size[1] // 5:size[1] // 2] = 255
            if volumes:
                import nibabel as nib

                image = rng.integers(-1000, 400, size=size).astype(np.int16)
                img_path = osp.join(folder, f'volume_{index}.nii.gz')
                seg_map_path = osp.join(folder, f'mask_{index}.nii.gz')
                nib.save(nib.Nifti1Image(image, np.eye(4)), img_path)
                nib.save(nib.Nifti1Image((mask > 0).astype(np.uint8), np.eye(4)), seg_map_path)
            else:
                image = rng.integers(0, 256, size=size, dtype=np.uint8)
                img_path = osp.join(folder, f'image_{index}.png')
                seg_map_path = osp.join(folder, f'mask_{index}.png')
                cv2.imwrite(img_path, image)
                cv2.imwrite(seg_map_path, mask)
            samples.append(pipeline(dict(
                img_path=img_path, seg_map_path=seg_map_path, text=caption, seg_fields=[],
                reduce_zero_label=False, label_map=None)))
    return pseudo_collate(samples)
