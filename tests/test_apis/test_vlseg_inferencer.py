"""VLSegInferencer: mmseg's inferencer with texts=; tools/infer.py is built on it."""
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import vlseg  # noqa: F401
from vlseg.apis import TextSourceError, VLSegInferencer
from vlseg.registry import INFERENCERS

sys.path.insert(0, str(Path(__file__).parents[1] / 'test_tools'))
from tool_runner import run_tool  # noqa: E402  (tests/test_tools is not a package)

CONFIG = 'configs/tmca/tmca_convnext-t_minilm_qata_cov19_224x224.py'
CAPTIONS = {'a.png': 'bilateral pulmonary infection, two infected areas, upper left lung and '
                     'lower right lung.',
            'b.png': 'unilateral pulmonary infection, one infected area, lower left lung.'}


@pytest.fixture(scope='module')
def tmca(tmp_path_factory, repo_root):
    folder = tmp_path_factory.mktemp('inferencer')
    torch.manual_seed(0)
    model = VLSegInferencer(str(repo_root / CONFIG), device='cpu').model
    checkpoint = folder / 'tmca.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    images = folder / 'images'
    images.mkdir()
    rng = np.random.default_rng(0)
    for name in ('a.png', 'b.png', 'c.png'):  # c.png has no caption: text-free
        cv2.imwrite(str(images / name), rng.integers(0, 255, (64, 80), dtype=np.uint8))
    table = folder / 'captions.csv'
    table.write_text('Image,Description\n' + ''.join(
        f'{name},"{caption}"\n' for name, caption in CAPTIONS.items()))
    return folder, checkpoint, images, table


def test_tools_infer_and_the_inferencer_give_identical_masks(tmca, repo_root):
    folder, checkpoint, images, table = tmca
    out = folder / 'out'
    run_tool('tools/infer.py', CONFIG, str(checkpoint), str(images), '--out-dir', str(out),
             '--captions', str(table))
    inferencer = INFERENCERS.build(dict(type='VLSegInferencer', model=str(repo_root / CONFIG),
                                        weights=str(checkpoint), device='cpu'))
    names = ['a.png', 'b.png', 'c.png']
    result = inferencer(str(images), texts=[CAPTIONS.get(name) for name in names],
                        batch_size=2)
    assert len(result['predictions']) == 3
    for name, prediction in zip(names, result['predictions']):
        assert prediction.shape == (64, 80)
        written = cv2.imread(str(out / 'masks' / name), cv2.IMREAD_GRAYSCALE)
        np.testing.assert_array_equal(written, prediction.astype(np.uint8) * 255)
        assert (out / 'overlays' / name).exists()  # drawn by SegLocalVisualizer
    # The text is the model's input: other captions give other logits.
    samples = inferencer(str(images / 'a.png'), texts=CAPTIONS['b.png'],
                         return_datasamples=True)
    assert samples.metainfo['text'] == CAPTIONS['b.png']
    with_a = inferencer(str(images / 'a.png'), texts=CAPTIONS['a.png'],
                        return_datasamples=True)
    assert not torch.equal(samples.seg_logits.data, with_a.seg_logits.data)
    assert inferencer.model.dataset_meta['classes'] == ('background', 'lesion')


def test_failures_are_listed_and_the_others_segmented(tmca, repo_root):
    folder, checkpoint, images, _ = tmca
    broken = folder / 'broken.png'
    broken.write_bytes(b'\x89PNG\r\n\x1a\n not really')
    inferencer = VLSegInferencer(str(repo_root / CONFIG), str(checkpoint), device='cpu')
    failures = []
    samples = inferencer([str(images / 'a.png'), str(broken), str(images / 'b.png')],
                         return_datasamples=True, batch_size=3, failures=failures)
    assert [s.metainfo['img_path'] for s in samples] == [str(images / 'a.png'),
                                                         str(images / 'b.png')]
    assert [path for path, _ in failures] == [str(broken)]
    with pytest.raises(ValueError, match='cannot decode'):
        inferencer([str(broken)])
    with pytest.raises(ValueError, match='2 inputs but 1 texts'):
        inferencer([str(images / 'a.png'), str(images / 'b.png')], texts=['x'])
    with pytest.raises(TextSourceError, match='text_source needs a self-guided model'):
        VLSegInferencer(str(repo_root / CONFIG), device='cpu', text_source='generated')
