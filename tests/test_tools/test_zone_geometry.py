"""tools/analysis_tools/zone_geometry.py on a tiny SGSeg-layout fixture whose captions name
exactly the zones where its masks' lesions lie ("left" = the image's left half)."""
import json

import cv2
import numpy as np
from tool_runner import run_tool

# Rows of a 32-row mask inside one band for every rule of the fitted grid: upper ends at
# 0.25-0.4 of the height (8-12.8 rows), middle at 0.5-0.7 (16-22.4 rows).
BANDS = {'upper': slice(0, 7), 'middle': slice(13, 16), 'lower': slice(23, 32)}
SIDES = {'left': slice(0, 16), 'right': slice(16, 32)}
CASES = [  # (caption, zones with lesion)
    ('unilateral pulmonary infection, one infected area, upper left lung.',
     [('upper', 'left')]),
    ('unilateral pulmonary infection, one infected area, lower right lung.',
     [('lower', 'right')]),
    ('bilateral pulmonary infection, two infected areas, middle left lung and lower right lung.',
     [('middle', 'left'), ('lower', 'right')]),
]


def write_fixture(root):
    annotation = {}
    for split in ('train', 'test'):
        entries = []
        for index, (caption, zones) in enumerate(CASES):
            mask = np.zeros((32, 32), np.uint8)
            for band, side in zones:
                mask[BANDS[band], SIDES[side]] = 255
            for folder, name, image in (('images', f'x{index}.png', mask // 2),
                                        ('masks', f'mask_x{index}.png', mask)):
                (root / 'images' / split / folder).mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(root / 'images' / split / folder / name), image)
            entries.append({'image_path': f'mask_x{index}.png', 'caption': caption})
        annotation[split] = entries
    (root / 'prompts').mkdir(parents=True)
    (root / 'prompts' / 'annotation.json').write_text(json.dumps(annotation))


def test_reference_masks_agree_with_captions_that_name_their_zones(tmp_path):
    root = tmp_path / 'qata'
    write_fixture(root)
    predicted = tmp_path / 'pred'
    predicted.mkdir()
    for index in range(len(CASES)):  # a model that finds nothing
        cv2.imwrite(str(predicted / f'x{index}.png'), np.zeros((32, 32), np.uint8))
    done = run_tool('tools/analysis_tools/zone_geometry.py', str(root), '--size', '32',
                    '--pred-dir', str(predicted))
    lines = done.stdout.splitlines()
    assert 'agreement 100.0%' in lines[0]
    reference = next(line for line in lines if 'reference masks' in line)
    assert reference.endswith('mean 100.0%, all six right 100.0%')
    # Empty masks name no zone: right exactly where a caption names none. Of the 3 x 6
    # labels 4 are named (per zone: L-upper 1, L-middle 1, R-lower 2 of 3 images).
    empty = next(line for line in lines if str(predicted) in line)
    assert 'L-upper 66.7, L-middle 66.7, L-lower 100.0, R-upper 100.0, R-middle 100.0, ' \
        'R-lower 33.3; mean 77.8%, all six right 0.0%' in empty


def test_a_caption_without_zones_is_an_error_naming_its_image(tmp_path):
    root = tmp_path / 'qata'
    write_fixture(root)
    annotation = json.loads((root / 'prompts' / 'annotation.json').read_text())
    annotation['train'][1]['caption'] = 'lesions somewhere'
    (root / 'prompts' / 'annotation.json').write_text(json.dumps(annotation))
    done = run_tool('tools/analysis_tools/zone_geometry.py', str(root), check=False)
    assert done.returncode != 0 and 'Traceback' not in done.stderr
    assert 'zone_geometry: ' in done.stderr and 'x1.png' in done.stderr
    assert 'lesions' in done.stderr
