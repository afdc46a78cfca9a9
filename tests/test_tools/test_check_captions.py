"""Tests for tools/misc/check_captions.py."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / 'tools' / 'misc' / 'check_captions.py'

_spec = importlib.util.spec_from_file_location('check_captions_tool', SCRIPT)
check_captions = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = check_captions  # dataclasses look their module up there
_spec.loader.exec_module(check_captions)

GOOD_SGSEG = {
    'image_path': 'mask_a.png',
    'caption': 'bilateral pulmonary infection, five infected areas, upper middle lower '
               'left lung and middle lower right lung.',
    'pulmonary_infection': 2, 'infected_area': 5, 'pseudo_label': [1, 1, 1, 0, 1, 1],
}
GOOD_UNI = {
    'image_path': 'mask_b.png',
    'caption': 'unilateral pulmonary infection, one infected area, lower right lung.',
    'pulmonary_infection': 1, 'infected_area': 1, 'pseudo_label': [0, 0, 0, 0, 0, 1],
}
LVIT_ROWS = [
    ('mask_c.png', ('Bilateral pulmonary infection, two infected areas, all left lung and '
                    'all right lung.')),
    ('mask_d.png', ('Bilateral pulmonary infection, two infected areas,lower left lung and '
                    'upper midlle right lung.')),
]


def _write_json(path, data):
    path.write_text(json.dumps(data), encoding='utf-8')
    return str(path)


def _lines(capsys):
    return capsys.readouterr().out.strip().splitlines()


def test_json_all_good(tmp_path, capsys):
    ann = _write_json(tmp_path / 'annotation.json',
                      {'train': [GOOD_SGSEG], 'test': [GOOD_UNI]})
    assert check_captions.main([ann]) == 0
    assert _lines(capsys) == ['parsed 2/2, location labels agree 2/2']
    assert check_captions.main([ann, '--split', 'test']) == 0
    assert _lines(capsys) == ['parsed 1/1, location labels agree 1/1']


def test_json_failures(tmp_path, capsys):
    bad_caption = dict(GOOD_UNI, image_path='mask_bad.png',
                       caption='unilateral pulmonary infection, one area, lower foo lung.')
    disagree = dict(GOOD_UNI, image_path='mask_dis.png', pseudo_label=[0, 0, 1, 0, 0, 0])
    ann = _write_json(tmp_path / 'annotation.json',
                      {'train': [GOOD_SGSEG, bad_caption], 'valid': [disagree]})
    assert check_captions.main([ann]) == 1
    lines = _lines(capsys)
    assert lines[-1] == 'parsed 2/3, location labels agree 1/3'
    assert len(lines) == 3
    assert lines[0].startswith(f'{ann}: mask_bad.png: ') and "'foo'" in lines[0]
    assert lines[1].startswith(f'{ann}: mask_dis.png: ') and 'disagree' in lines[1]


def test_csv_and_xlsx(tmp_path, capsys):
    table = pd.DataFrame(LVIT_ROWS, columns=['Image', 'Description'])
    csv = tmp_path / 'test_text.csv'
    table.to_csv(csv, index=False)
    assert check_captions.main([str(csv)]) == 0
    assert _lines(capsys) == ['parsed 2/2, location labels agree 0/0']

    xlsx = tmp_path / 'Test_text.xlsx'
    bad = pd.DataFrame(LVIT_ROWS + [('mask_e.png', '  '), ('mask_f.png', None)],
                       columns=['Image', 'Description'])
    bad.to_excel(xlsx, index=False)
    assert check_captions.main([str(xlsx)]) == 1
    lines = _lines(capsys)
    assert lines[-1] == 'parsed 2/4, location labels agree 0/0'
    assert lines[0].startswith(f'{xlsx}: mask_e.png: caption is empty')
    assert lines[1].startswith(f'{xlsx}: mask_f.png: caption is empty')


@pytest.mark.parametrize(('name', 'content', 'why'), [
    ('notes.txt', 'hello', 'unknown annotation file'),
    ('annotation.json', '{not json', 'cannot read'),
    ('annotation.json', '[1, 2]', 'not an annotation file'),
    ('wrong_columns.csv', 'a,b\n1,2\n', 'expected an image-name column'),
])
def test_bad_files_exit_2(tmp_path, capsys, name, content, why):
    path = tmp_path / name
    path.write_text(content, encoding='utf-8')
    assert check_captions.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and why in err


def test_missing_file_and_bad_split_exit_2(tmp_path, capsys):
    missing = tmp_path / 'absent.json'
    assert check_captions.main([str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
    ann = _write_json(tmp_path / 'annotation.json', {'train': [GOOD_SGSEG]})
    assert check_captions.main([ann, '--split', 'val']) == 2
    assert "no split 'val'" in capsys.readouterr().err


def test_script_runs_without_install(tmp_path):
    csv = tmp_path / 'captions.csv'
    pd.DataFrame(LVIT_ROWS[:1], columns=['Image', 'Description']).to_csv(csv, index=False)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run([sys.executable, str(SCRIPT), str(csv)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == 'parsed 1/1, location labels agree 0/0'


def test_real_data(capsys, shared_data):
    ann = shared_data / 'qata_cov19' / 'prompts' / 'annotation.json'
    csv = shared_data / 'qata_lvit_text' / 'test_lvit_partial.csv'
    assert check_captions.main([str(ann)]) == 0
    assert _lines(capsys)[-1] == 'parsed 2700/2700, location labels agree 2700/2700'
    assert check_captions.main([str(csv)]) == 0
    assert _lines(capsys)[-1] == 'parsed 111/111, location labels agree 0/0'
