"""Tests for tools/dataset_converters/location_pseudo_labels.py (embedded MiniLM, no ../shared)."""
import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip('sklearn.cluster', reason='scikit-learn is needed for HDBSCAN')

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / 'tools' / 'dataset_converters' / 'location_pseudo_labels.py'

_spec = importlib.util.spec_from_file_location('location_pseudo_labels_tool', SCRIPT)
tool = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = tool  # dataclasses look their module up there
_spec.loader.exec_module(tool)

# (caption, labels a reader of the sentence writes down), SGSeg wording, 12 records.
SGSEG = [
    ('bilateral pulmonary infection, three infected areas, lower left lung and middle lower '
     'right lung.', [0, 0, 1, 0, 1, 1]),
    ('unilateral pulmonary infection, one infected area, lower right lung.',
     [0, 0, 0, 0, 0, 1]),
    ('bilateral pulmonary infection, four infected areas, upper middle lower left lung and '
     'lower right lung.', [1, 1, 1, 0, 0, 1]),
    ('unilateral pulmonary infection, one infected area, lower left lung.', [0, 0, 1, 0, 0, 0]),
] * 3
# LViT wording: capitals, "all", a missing space, a typo; no pseudo_label.
LVIT = [
    ('Bilateral pulmonary infection, two infected areas, all left lung and midlle lower right '
     'lung.', [1, 1, 1, 0, 1, 1]),
    ('Unilateral pulmonary infection, one infected area, all left lung.', [1, 1, 1, 0, 0, 0]),
    ('Bilateral pulmonary infection, two infected areas,all left lung and lower right lung.',
     [1, 1, 1, 0, 0, 1]),
    ('Bilateral pulmonary infection, two infected areas,  lower left lung and all left lung.',
     [1, 1, 1, 0, 0, 0]),
]
TYPO = 'lvit_0.png'
# The parser rejects this one (no "bilateral"/"unilateral"); HDBSCAN still labels it.
UNPARSEABLE = ('pulmonary infection, one infected area, lower left lung.', [0, 0, 1, 0, 0, 0])


def _annotation(tmp_path) -> Path:
    train = [dict(image_path=f'mask_{i}.png', caption=c, pulmonary_infection=1 + ('bi' in c[:2]),
                  infected_area=sum(z), pseudo_label=z) for i, (c, z) in enumerate(SGSEG)]
    test = [dict(image_path=f'lvit_{i}.png', caption=c) for i, (c, _) in enumerate(LVIT)]
    test.append(dict(image_path='bad.png', caption=UNPARSEABLE[0]))
    path = tmp_path / 'annotation.json'
    path.write_text(json.dumps(dict(train=train, test=test)), encoding='utf-8')
    return path


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """The tool run once on the tiny annotation: (annotation, stdout, written result)."""
    tmp_path = tmp_path_factory.mktemp('lpl')
    ann = _annotation(tmp_path)
    before = ann.read_bytes()
    buffer = io.StringIO()  # capsys is function-scoped; one run serves the module
    with contextlib.redirect_stdout(buffer):
        rc = tool.main([str(ann), '--min-cluster-size', '3'])
    assert rc == 0, buffer.getvalue()
    assert ann.read_bytes() == before  # the input is never touched
    out = tmp_path / 'annotation_location_labels.json'
    assert out.is_file()
    return ann, buffer.getvalue(), json.loads(out.read_text(encoding='utf-8'))


def test_phrases():
    phrases = tool.location_phrases
    assert phrases(LVIT[0][0]) == ['all left lung', 'midlle lower right lung']
    assert phrases(LVIT[2][0]) == ['all left lung', 'lower right lung']
    assert phrases(SGSEG[2][0]) == ['upper middle lower left lung', 'lower right lung']
    assert phrases('Bilateral pulmonary infection, two infected aeras, upper left and right '
                   'lungs') == ['upper left and right lungs']
    assert phrases('unilateral infection, lower left lunng and middle') == [
        'lower left lunng', 'middle']
    assert tool.zones_of_words('upper left and right lungs') == [1, 0, 0, 1, 0, 0]
    assert tool.zones_of_words('all right lung') == [0, 0, 0, 1, 1, 1]
    assert tool.zones_of_words('midlle right lung') is None  # a typo does not name a cluster


def test_parser_labels(run):
    _, _, result = run
    labels = result['labels']
    assert result['zones'] == ['L-upper', 'L-middle', 'L-lower', 'R-upper', 'R-middle',
                               'R-lower']
    for i, (_, expected) in enumerate(SGSEG):
        assert labels[f'mask_{i}.png']['parser'] == expected
        assert labels[f'mask_{i}.png']['pseudo_label'] == expected
        assert labels[f'mask_{i}.png']['split'] == 'train'
    for i, (_, expected) in enumerate(LVIT):
        assert labels[f'lvit_{i}.png']['parser'] == expected
        assert 'pseudo_label' not in labels[f'lvit_{i}.png']
    assert labels['bad.png']['parser'] is None
    assert any('bad.png' in e and '(parser)' in e for e in result['errors'])


def test_hdbscan_labels(run):
    _, stdout, result = run
    labels = result['labels']
    # The typo'd phrase takes the zones of its cluster, named by its medoid.
    assert labels[TYPO]['phrases'] == ['all left lung', 'midlle lower right lung']
    assert labels[TYPO]['hdbscan'] == [1, 1, 1, 0, 1, 1]
    table = result['hdbscan']['cluster_table']
    (typo_cluster,) = [c for c in table if 'midlle lower right lung' in c['members']]
    assert typo_cluster['medoid'] == 'middle lower right lung'
    assert typo_cluster['zones'] == [0, 0, 0, 0, 1, 1]
    # Every caption, the unparseable one too, gets HDBSCAN labels; here they equal the parse.
    for i, (_, expected) in enumerate(SGSEG):
        assert labels[f'mask_{i}.png']['hdbscan'] == expected
    for i, (_, expected) in enumerate(LVIT):
        assert labels[f'lvit_{i}.png']['hdbscan'] == expected
    assert labels['bad.png']['hdbscan'] == UNPARSEABLE[1]
    info = result['hdbscan']
    assert info['clusters'] == len(table) >= 4
    assert info['points'] == 18 + 7 + 1  # phrase occurrences
    assert info['noise'] == sum(sum(c['noise_assigned'].values()) for c in table)
    assert info['distinct_phrases'] == 6


def test_report_printed(run):
    ann, stdout, result = run
    lines = stdout.splitlines()
    assert any(line.startswith(f'{ann}: bad.png:') for line in lines)
    assert 'records 17: parser labelled 16, hdbscan labelled 17' in stdout
    assert f"{result['hdbscan']['clusters']} clusters from" in stdout
    assert f"{result['hdbscan']['noise']} noise points" in stdout
    rows = {line.split('  ')[0]: line.split() for line in lines if ' vs ' in line}
    assert set(rows) == {'parser vs hdbscan', 'parser vs pseudo_label',
                         'hdbscan vs pseudo_label'}
    # label rows: title words, n, six per-zone accuracies, exact match
    assert rows['parser vs hdbscan'][3:] == ['16'] + ['100.00'] * 7
    assert rows['parser vs pseudo_label'][3:] == ['12'] + ['100.00'] * 7
    assert 'exact' in stdout


def test_table_and_errors(tmp_path, capsys):
    csv = tmp_path / 'captions.csv'
    pd.DataFrame({'Image': [f'm{i}.png' for i in range(len(LVIT))],
                  'Description': [c for c, _ in LVIT]}).to_csv(csv, index=False)
    out = tmp_path / 'out' / 'labels.json'
    assert tool.main([str(csv), '--out', str(out), '--min-cluster-size', '2']) == 0
    result = json.loads(out.read_text(encoding='utf-8'))
    assert [result['labels'][f'm{i}.png']['parser'] for i in range(len(LVIT))] == [
        z for _, z in LVIT]
    assert 'parser vs hdbscan' in capsys.readouterr().out

    empty = tmp_path / 'empty.json'
    empty.write_text(json.dumps({'train': [{'image_path': 'a.png'}]}), encoding='utf-8')
    assert tool.main([str(empty), '--out-dir', str(tmp_path)]) == 2
    assert f'{empty} has no caption' in capsys.readouterr().err
    assert not (tmp_path / 'empty_location_labels.json').exists()


def test_agreement():
    per_zone, exact = tool.agreement([([1, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 1]),
                                      ([1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 1])])
    assert per_zone == [0.5, 1, 1, 1, 1, 1] and exact == 0.5
