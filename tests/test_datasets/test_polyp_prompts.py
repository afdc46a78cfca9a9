"""The polyp configs caption each image with its own medvlsm prompt, so TSDM can learn.

medvlsm's ``p1`` is "polyp" for every image: with one caption for the whole batch the
image-to-text half of TSDM is the constant log B and passes no gradient. The base
configs choose ``p6`` (count, size, colour, shape and location); these tests build the
dataset from those configs on a tiny medvlsm folder and check both facts.
"""
from __future__ import annotations

import json
import math
import os.path as osp
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import vlseg  # noqa: F401  (applies the stack fixes before mmseg is imported)
from vlseg.datasets.polyp import POLYP_PROMPT_KEY
from vlseg.models.losses.tsdm_loss import TSDMContrastiveLoss
from vlseg.registry import DATASETS
from vlseg.utils import load_config, register_all_modules

REPO_ROOT = Path(__file__).resolve().parents[2]
BASES = {'kvasir_seg.py': '.jpg', 'bkai_polyp.py': '.jpeg'}
# Three images with distinct p6 prompts (medvlsm's wording) and disjoint masks.
P6 = {'a': 'two large white round polyp, located in top left, top of the image',
      'b': 'one small pink oval polyp, located in right of the image',
      'c': 'one medium yellow circle polyp, located in bottom of the image'}
SIZE = 16


def mask_of(stem: str) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), np.uint8)
    if stem == 'a':
        mask[:SIZE // 2, :SIZE // 2] = 255
    elif stem == 'b':
        mask[:, SIZE * 3 // 4:] = 255
    else:
        mask[SIZE * 3 // 4:, :SIZE // 2] = 255
    return mask


def make_medvlsm(root: Path, ext: str) -> Path:
    """A medvlsm folder: ``anns/<split>.json`` entries with prompts p0..p9, images, masks."""
    entries = []
    for stem, p6 in P6.items():
        for folder, array in (('images', np.full((SIZE, SIZE, 3), 120, np.uint8)),
                              ('masks', mask_of(stem))):
            (root / folder).mkdir(parents=True, exist_ok=True)
            assert cv2.imwrite(str(root / folder / f'{stem}{ext}'), array)
        p5 = p6.split(',')[0]
        entries.append({
            'bbox': [0, 0, 8, 8], 'cat': 0, 'segment_id': stem,
            'img_name': f'{stem}{ext}', 'mask_name': f'{stem}{ext}',
            'sentences': [{'idx': 0, 'sent_id': 1, 'sent': ''}],
            'prompts': {'p0': '', 'p1': 'polyp', 'p2': f'{p5.split()[-2]} polyp',
                        'p3': ' '.join(p5.split()[-3:]), 'p4': ' '.join(p5.split()[-4:]),
                        'p5': p5, 'p6': p6,
                        'p7': [f'polyp which is variant {k}' for k in range(5)],
                        'p8': [f'{p5} which is variant {k}' for k in range(5)],
                        'p9': [f'{p5} which is variant {k} {p6[len(p5) + 2:]}'
                               for k in range(5)]},
            'sentences_num': 1})
    (root / 'anns').mkdir(parents=True, exist_ok=True)
    for split in ('train', 'val', 'test'):
        (root / 'anns' / f'{split}.json').write_text(json.dumps(entries))
    return root


def dataset_from_config(base: str, root: Path, **overrides):
    register_all_modules()
    cfg = load_config(str(REPO_ROOT / 'configs' / '_base_' / 'datasets' / base),
                      dict(data_root=str(root)))
    dataset_cfg = cfg.train_dataloader.dataset.copy()
    dataset_cfg.update(overrides)
    return DATASETS.build(dataset_cfg), cfg


def captions_and_masks(dataset) -> tuple[list[str], torch.Tensor]:
    """Run the config's train pipeline: the packed caption and mask of every image."""
    texts, masks = [], []
    for index in range(len(dataset)):
        sample = dataset[index]['data_samples']
        texts.append(sample.metainfo['text'])
        masks.append(sample.gt_sem_seg.data)
    return texts, torch.stack(masks)


def embed(captions: list[str], encoder: torch.nn.Module, dim: int) -> torch.Tensor:
    """A deterministic vector per caption (seeded by its CRC32) through a tiny encoder."""
    rows = [torch.randn(dim, generator=torch.Generator().manual_seed(zlib.crc32(c.encode())))
            for c in captions]
    return encoder(torch.stack(rows))


def directions(loss: TSDMContrastiveLoss, image, text, masks):
    """TSDM's image-to-text and text-to-image terms (Eq. 1), checked against ``loss``."""
    target = loss.target_distribution(masks, image.shape[0], image.device)
    logits = loss.similarity(image, text) / loss.tau2
    i2t = -(target * F.log_softmax(logits, dim=1)).sum(1).mean()
    t2i = -(target * F.log_softmax(logits.t(), dim=1)).sum(1).mean()
    torch.testing.assert_close(0.5 * (i2t + t2i), loss(image, text, masks))
    return i2t, t2i


@pytest.mark.parametrize('base', sorted(BASES))
def test_polyp_base_configs_caption_each_image(tmp_path, base):
    root = make_medvlsm(tmp_path / 'polyp', BASES[base])
    dataset, cfg = dataset_from_config(base, root)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[name].dataset.prompt_key == 'p6' == POLYP_PROMPT_KEY
    captions = {osp.basename(dataset.get_data_info(i)['img_path']):
                dataset.get_data_info(i)['text'] for i in range(len(dataset))}
    ext = BASES[base]
    assert captions == {f'{stem}{ext}': text for stem, text in P6.items()}
    assert captions[f'a{ext}'] != captions[f'b{ext}']
    # The caption reaches the packed sample through the config's pipeline.
    assert dataset[0]['data_samples'].metainfo['text'] == P6['a']
    # The class default is p6 too; prompt_key=None (first non-empty) is the old behaviour.
    cls = DATASETS.get(cfg.train_dataloader.dataset.type)
    assert cls(data_root=str(root), pipeline=[], lazy_init=False).get_data_info(1)['text'] \
        == P6['b']
    first, _ = dataset_from_config(base, root, prompt_key=None)
    assert {first.get_data_info(i)['text'] for i in range(len(first))} == {'polyp'}


def test_tsdm_learns_from_distinct_captions_not_from_one(tmp_path):
    dim = 8
    torch.manual_seed(0)
    encoder = torch.nn.Linear(dim, dim)
    loss = TSDMContrastiveLoss()
    root = make_medvlsm(tmp_path / 'polyp', '.jpg')

    dataset, _ = dataset_from_config('kvasir_seg.py', root)
    captions, masks = captions_and_masks(dataset)
    assert len(set(captions)) == 3 and masks.shape == (3, 1, 224, 224)
    image = torch.randn(3, dim, requires_grad=True)
    text = embed(captions, encoder, dim)
    text.retain_grad()
    i2t, _ = directions(loss, image, text, masks)
    i2t.backward(retain_graph=True)
    assert image.grad.abs().max() > 1e-3
    assert text.grad.abs().max() > 1e-3 and encoder.weight.grad.abs().max() > 1e-3
    # The whole loss too, w.r.t. the text features.
    text.grad = None
    loss(image, text, masks).backward()
    assert text.grad.abs().max() > 1e-3

    # p1: "polyp" for every image. s[p, q] = cos(image_p, t) is the same for every q, so
    # log P(q | p) = -log B whatever the features: image-to-text is constant. Its gradient
    # w.r.t. image_p (and through the shared caption, the text encoder) is
    # g_p * sum_q (P(q | p) - y[p, q]) = g_p * (1 - 1) = 0, since both rows sum to 1.
    constant, _ = dataset_from_config('kvasir_seg.py', root, prompt_key='p1')
    captions, masks = captions_and_masks(constant)
    assert set(captions) == {'polyp'}
    image = image.detach().requires_grad_()
    encoder.zero_grad()
    i2t, t2i = directions(loss, image, embed(captions, encoder, dim), masks)
    torch.testing.assert_close(i2t.detach(), torch.tensor(math.log(3)))
    i2t.backward(retain_graph=True)
    # Zero up to float32 rounding (~1e-6 here; the distinct captions above give ~1).
    assert image.grad.abs().max() < 1e-5
    assert encoder.weight.grad.abs().max() < 1e-5
    # Only text-to-image (softmax over the images of one column) still moves the images.
    image.grad = None
    t2i.backward()
    assert image.grad.abs().max() > 1e-3
