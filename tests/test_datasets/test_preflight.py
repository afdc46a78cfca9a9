"""Data preflight (issue 16): every record checked before training, all problems at once."""
import json

import cv2
import numpy as np
import pytest

import vlseg  # noqa: F401
from vlseg.datasets import QaTaCOV19Dataset
from vlseg.datasets.preflight import DatasetCheckError, check_dataset, image_size
from vlseg.datasets.transforms import CaptionToLocationLabels
from vlseg.evaluation import LocationReportMetric
from vlseg.models.text_encoders import LesionVectorEncoder

GOOD = 'unilateral pulmonary infection, one infected area, lower left lung.'
UNREADABLE = 'the lesion is somewhere near the heart.'


def qata(root, records):
    """SGSeg's QaTa layout; ``records``: (name, caption, image size, mask size or None)."""
    folder = root / 'images' / 'train'
    (folder / 'images').mkdir(parents=True)
    (folder / 'masks').mkdir(parents=True)
    entries = []
    for name, caption, size, mask_size in records:
        cv2.imwrite(str(folder / 'images' / name), np.full((size, size), 90, np.uint8))
        if mask_size is not None:
            cv2.imwrite(str(folder / 'masks' / f'mask_{name}'),
                        np.zeros((mask_size, mask_size), np.uint8))
        entries.append({'image_path': f'mask_{name}', 'caption': caption})
    (root / 'prompts').mkdir()
    (root / 'prompts' / 'annotation.json').write_text(json.dumps({'train': entries}))
    return QaTaCOV19Dataset(data_root=str(root), layout='sgseg', split='train',
                            pipeline=[CaptionToLocationLabels()])


def test_wrong_size_mask_and_unreadable_caption_are_both_reported(tmp_path):
    dataset = qata(tmp_path, [('a.png', GOOD, 32, 32), ('b.png', GOOD, 32, 24),
                              ('c.png', UNREADABLE, 32, 32)])
    problems = check_dataset(dataset)  # the pipeline's CaptionToLocationLabels parses
    assert [p.file.rsplit('/', 1)[-1] for p in problems] == ['mask_b.png', 'c.png']
    assert 'mask is 24x24 (WxH) but its image' in problems[0].reason
    assert 'CaptionToLocationLabels' in problems[1].reason and UNREADABLE in problems[1].reason
    error = DatasetCheckError('training data', problems)
    assert 'mask_b.png' in str(error) and 'c.png' in str(error) and '2 problem(s)' in str(error)


def test_model_and_metric_caption_checkers(tmp_path):
    dataset = qata(tmp_path, [('a.png', GOOD, 32, 32), ('c.png', UNREADABLE, 32, 32)])
    dataset.pipeline.transforms.clear()  # no pipeline parser: only the checkers given
    assert check_dataset(dataset) == []
    for checker in (LesionVectorEncoder(), LocationReportMetric()):
        problems = check_dataset(dataset, [checker])
        assert len(problems) == 1 and problems[0].file.endswith('c.png')
        assert type(checker).__name__ in problems[0].reason


def test_missing_and_corrupt_files(tmp_path):
    dataset = qata(tmp_path, [('a.png', GOOD, 32, 32), ('b.png', GOOD, 32, 32)])
    folder = tmp_path / 'images' / 'train'
    (folder / 'images' / 'a.png').write_bytes(b'not a png at all')
    (folder / 'masks' / 'mask_b.png').unlink()  # gone since the layout was read
    problems = check_dataset(dataset)
    assert [p.file.rsplit('/', 1)[-1] for p in problems] == ['a.png', 'mask_b.png']
    assert 'image cannot be read' in problems[0].reason
    assert problems[1].reason == 'mask not found'


def test_header_read_and_decode_agree_and_truncation_needs_decode(tmp_path):
    path = tmp_path / 'x.png'
    noise = np.random.default_rng(0).integers(0, 255, (40, 30), dtype=np.uint8)
    cv2.imwrite(str(path), noise)
    assert image_size(str(path)) == image_size(str(path), decode=True) == (30, 40)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])  # the header survives, the pixels do not
    assert image_size(str(path)) == (30, 40)
    with pytest.raises(ValueError, match='x.png'):
        image_size(str(path), decode=True)


def test_every_caption_less_sample_is_listed_at_once(tmp_path):
    with pytest.raises(ValueError, match=r'2 sample\(s\)[\s\S]*a\.png[\s\S]*b\.png'):
        qata(tmp_path, [('a.png', '', 32, 32), ('b.png', ' ', 32, 32), ('c.png', GOOD, 32, 32)])


def test_checkers_accept_what_the_component_accepts():
    CaptionToLocationLabels().check_caption(GOOD, 'x.png')
    LesionVectorEncoder().check_caption('', 'x.png')  # text-free: the zero vector
    with pytest.raises(ValueError, match='x.png'):
        CaptionToLocationLabels().check_caption('', 'x.png')
    with pytest.raises(ValueError, match='x.png'):
        LocationReportMetric().check_caption('', 'x.png')
