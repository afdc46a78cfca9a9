"""tools/infer.py with a self-guided (SGSeg) model: no caption -> the generated report."""
import csv

import cv2
import numpy as np
import torch
from tool_runner import run_tool

import vlseg  # noqa: F401
from vlseg.apis import VLSegInferencer
from vlseg.text import parse_caption

CONFIG = 'configs/sgseg/sgseg_convnext-t_minilm_lerg-cpu_qata_cov19_224x224.py'
CAPTION = 'unilateral pulmonary infection, one infected area, lower left lung.'


def test_infer_writes_the_generated_report_beside_each_mask(tmp_path, repo_root):
    torch.manual_seed(0)
    model = VLSegInferencer(str(repo_root / CONFIG), device='cpu').model
    checkpoint = tmp_path / 'sgseg.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    images = tmp_path / 'images'
    images.mkdir()
    for name in ('a', 'b'):
        cv2.imwrite(str(images / f'{name}.png'), np.random.default_rng(0).integers(
            0, 255, (64, 64), dtype=np.uint8))
    captions = tmp_path / 'captions.csv'
    captions.write_text(f'Image,Description\na.png,"{CAPTION}"\n')
    out = tmp_path / 'out'
    done = run_tool('tools/infer.py', CONFIG, str(checkpoint), str(images), '--out-dir',
                    str(out), '--captions', str(captions))
    assert '1 of 2 images have no caption and are segmented with the generated report' \
        in done.stdout
    rows = {row['Image']: row for row in csv.DictReader(open(out / 'texts.csv'))}
    assert rows['a.png']['Source'] == 'caption' and rows['a.png']['Text'] == CAPTION
    assert rows['b.png']['Source'] == 'generated'
    report = (out / 'masks' / 'b.txt').read_text().strip()
    assert rows['b.png']['Text'] == report
    assert sum(parse_caption(report).location_labels()) >= 1  # a report the parser reads
    assert (out / 'masks' / 'a.txt').exists()  # the report is written for every image
    assert cv2.imread(str(out / 'masks' / 'b.png')).shape[:2] == (64, 64)


def test_attach_report_generator_gives_another_model_the_reports(tmp_path, repo_root):
    """A TMCA model trained with captions reads an SGSeg model's reports (one checkpoint)."""
    self_guided = VLSegInferencer(str(repo_root / 'configs/tmca/tmca_convnext-t_minilm_'
                                      'self-guided_qata_cov19_224x224.py'), device='cpu').model
    plain = {k: v for k, v in self_guided.state_dict().items()
             if not k.startswith('report_generator.')}
    torch.manual_seed(1)
    sgseg = VLSegInferencer(str(repo_root / 'configs/sgseg/sgseg_convnext-t_minilm_qata_cov19_'
                                       '224x224.py'), device='cpu').model
    # As the Runner saves it: the message hub's history buffers beside the weights.
    from mmengine.logging import HistoryBuffer
    torch.save({'state_dict': plain, 'message_hub': {'log_scalars': {'loss': HistoryBuffer()}}},
               tmp_path / 'tmca.pth')
    torch.save({'state_dict': sgseg.state_dict()}, tmp_path / 'sgseg.pth')
    run_tool('tools/misc/attach_report_generator.py', str(tmp_path / 'tmca.pth'),
             str(tmp_path / 'sgseg.pth'), str(tmp_path / 'out.pth'))
    merged = torch.load(tmp_path / 'out.pth', weights_only=True)['state_dict']
    self_guided.load_state_dict(merged, strict=True)  # every key, nothing more
    for key, value in sgseg.state_dict().items():
        if key.startswith('report_generator.'):
            torch.testing.assert_close(merged[key], value)
    not_self_guided = run_tool('tools/misc/attach_report_generator.py', str(tmp_path / 'tmca.pth'),
                               str(tmp_path / 'tmca.pth'), str(tmp_path / 'x.pth'), check=False)
    assert not_self_guided.returncode != 0 and 'not a self-guided' in not_self_guided.stderr


def test_infer_refuses_text_source_for_a_model_without_a_report(tmp_path, repo_root):
    """``--text-source`` with a model that writes no report: an error naming the option
    and the model, not a traceback."""
    from tool_runner import QUICKSTART
    model = VLSegInferencer(str(repo_root / QUICKSTART), device='cpu').model
    checkpoint = tmp_path / 'unet.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    image = tmp_path / 'a.png'
    cv2.imwrite(str(image), np.zeros((32, 32), np.uint8))
    done = run_tool('tools/infer.py', QUICKSTART, str(checkpoint), str(image), '--out-dir',
                    str(tmp_path / 'out'), '--text-source', 'generated', check=False)
    assert done.returncode != 0
    assert 'tools/infer.py: --text-source: VLSegInferencer: text_source needs a self-guided ' \
        'model' in done.stderr and type(model).__name__ in done.stderr
    assert 'Traceback' not in done.stderr
