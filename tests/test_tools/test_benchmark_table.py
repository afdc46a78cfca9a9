"""tools/analysis_tools/benchmark_table.py: checkpoints tested by tools/test.py, as a table."""
import glob
import json
import os.path as osp
import sys

import pytest
import yaml
from tool_runner import QUICKSTART, REPO_ROOT, TINY, run_tool

sys.path.insert(0, osp.join(str(REPO_ROOT), 'tools', 'analysis_tools'))

import benchmark_table  # noqa: E402

TOOL = 'tools/analysis_tools/benchmark_table.py'
README = ('# Results\n\nText above the table.\n\n'
          f'{benchmark_table.START_MARKER}\n| old | table |\n|---|---|\n| 1 | 2 |\n'
          f'{benchmark_table.END_MARKER}\n\nText below the table.\n')


def _rows(table: str) -> list[list[str]]:
    lines = [line for line in table.splitlines() if line.startswith('|')]
    return [[cell.strip() for cell in line.strip('|').split(' | ')] for line in lines]


def test_table_holds_the_scores_tools_test_wrote(tmp_path):
    work = tmp_path / 'train'
    run_tool('tools/train.py', QUICKSTART, '--work-dir', str(work), '--cfg-options', *TINY)
    best = glob.glob(str(work / 'best_Dice_per_image_iter_*.pth'))
    assert len(best) == 1
    metrics = ['Dice_per_image', 'IoU_pooled', 'Sen_pooled']
    spec = tmp_path / 'spec.yaml'
    spec.write_text(yaml.safe_dump([
        dict(name='U-Net S4 (quick start)', config=QUICKSTART, checkpoint=best[0],
             cfg_options=TINY, metrics=metrics, paper='96.04 / 92.40 per image'),
        dict(name='never trained', config=QUICKSTART, checkpoint=str(tmp_path / 'none.pth'),
             metrics=['Dice_per_image']),
    ]))
    readme = tmp_path / 'README.md'
    readme.write_text(README)
    out = tmp_path / 'table.md'
    run_tool(TOOL, str(spec), '--skip-missing', '--work-dir', str(tmp_path / 'bench'),
             '--out', str(out), '--update-readme', str(readme))

    table = out.read_text()
    header, rule, ours, missing = _rows(table)
    assert header == ['method', 'config', 'paper'] + [f'ours: {m}' for m in metrics]
    assert rule == ['---'] * len(header)
    assert ours[:3] == ['U-Net S4 (quick start)', f'`{QUICKSTART}`', '96.04 / 92.40 per image']
    # The numbers are those of the JSON mmengine wrote for that test run.
    found = [path for path in glob.glob(str(tmp_path / 'bench' / '01_*' / '*' / '*.json'))
             if osp.basename(path)[:-5] == osp.basename(osp.dirname(path))]
    assert len(found) == 1
    scores = json.load(open(found[0]))
    for metric, cell in zip(metrics, ours[3:]):
        assert float(cell) == round(scores[metric], 4), metric
    assert missing[0] == 'never trained' and missing[3] == 'no checkpoint'

    # --update-readme replaced the block between the markers and nothing else.
    text = readme.read_text()
    before, rest = README.split(benchmark_table.START_MARKER)
    after = rest.split(benchmark_table.END_MARKER)[1]
    assert text == (before + benchmark_table.START_MARKER + '\n' + table
                    + benchmark_table.END_MARKER + after)
    assert '| old | table |' not in text


def test_missing_checkpoint_and_missing_markers_are_errors(tmp_path):
    spec = tmp_path / 'spec.json'
    spec.write_text(json.dumps({'entries': [
        {'name': 'lost run', 'config': QUICKSTART, 'checkpoint': str(tmp_path / 'x.pth')}]}))
    done = run_tool(TOOL, str(spec), check=False)
    assert done.returncode != 0
    assert "entry 'lost run'" in done.stderr and 'checkpoint not found' in done.stderr

    readme = tmp_path / 'README.md'
    readme.write_text('# No markers here\n')
    done = run_tool(TOOL, str(spec), '--skip-missing', '--update-readme', str(readme),
                    check=False)
    assert done.returncode != 0
    assert benchmark_table.START_MARKER in done.stderr
    assert readme.read_text() == '# No markers here\n'

    spec.write_text(json.dumps([{'config': QUICKSTART, 'checkpoints': 'typo.pth'}]))
    done = run_tool(TOOL, str(spec), check=False)
    assert done.returncode != 0 and "unknown key(s) ['checkpoints']" in done.stderr


def test_checkpoint_lookup_by_name(tmp_path):
    assert benchmark_table.find_checkpoint(str(tmp_path), 'model') is None
    run = tmp_path / 'model'
    run.mkdir()
    (run / 'iter_4.pth').write_bytes(b'')
    (run / 'last_checkpoint').write_text(str(run / 'iter_4.pth'))
    assert benchmark_table.find_checkpoint(str(tmp_path), 'model') == str(run / 'iter_4.pth')
    (run / 'best_Dice_pooled_iter_2.pth').write_bytes(b'')
    assert benchmark_table.find_checkpoint(str(tmp_path), 'model').endswith('best_Dice_pooled'
                                                                            '_iter_2.pth')
    (tmp_path / 'model.pth').write_bytes(b'')
    assert benchmark_table.find_checkpoint(str(tmp_path), 'model') == str(tmp_path / 'model.pth')


def test_keep_rows_retests_only_the_chosen_entries(tmp_path, monkeypatch):
    """--keep-rows: the chosen rows get new scores, the others keep the README's."""
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'')
    spec = tmp_path / 'spec.yaml'
    rows = [dict(name='a | first', config=QUICKSTART, checkpoint=str(checkpoint),
                 metrics=['Dice_pooled', 'IoU_pooled'], training='100 x 4'),
            dict(name='b', config=QUICKSTART, checkpoint=str(checkpoint),
                 metrics=['Dice_pooled'], paper='90.1')]
    spec.write_text(yaml.safe_dump(rows))
    tested = []

    def fake_test(entry, checkpoint, work_dir, cfg_options):
        tested.append(entry.name)
        return {'Dice_pooled': 70.0 + len(tested), 'IoU_pooled': 50.0}
    monkeypatch.setattr(benchmark_table, 'run_test', fake_test)
    readme = tmp_path / 'README.md'
    readme.write_text(README)
    common = [str(spec), '--one-column', '--digits', '2', '--update-readme', str(readme),
              '--out', str(tmp_path / 'table.md')]
    first = benchmark_table.main(common)
    assert tested == ['a | first', 'b']
    # A new spec row, then only it is tested: the others keep their scores.
    rows.append(dict(name='c', config=QUICKSTART, checkpoint=str(checkpoint),
                     metrics=['IoU_pooled']))
    spec.write_text(yaml.safe_dump(rows))
    table = benchmark_table.main(common + ['--models', 'c', '--keep-rows'])
    assert tested == ['a | first', 'b', 'c']
    assert table == first + '| c | `' + QUICKSTART + '` | - | IoU_pooled 50.00 | - |\n'
    assert _rows(table)[2][3] == 'Dice_pooled 71.00, IoU_pooled 50.00'
    assert table in readme.read_text()
    # A row the README lacks must be tested; a table without --one-column cannot be read.
    rows.append(dict(name='d', config=QUICKSTART, checkpoint=str(checkpoint)))
    spec.write_text(yaml.safe_dump(rows))
    with pytest.raises(SystemExit, match=r"rows \['d'\] are not in its table"):
        benchmark_table.main(common + ['--models', 'c', '--keep-rows'])
    with pytest.raises(SystemExit):
        benchmark_table.main([str(spec), '--models', 'c', '--keep-rows'])


def test_one_column_table():
    entries = [benchmark_table.Entry(name='a', config='a.py', metrics=['Dice', 'MAE'],
                                     paper='.713'),
               benchmark_table.Entry(name='b', config='b.py', metrics=['Dice_pooled'])]
    rows = [(entries[0], {'Dice': 0.50712, 'MAE': 0.17, 'Sen': 0.6}), (entries[1], None)]
    assert _rows(benchmark_table.make_table(rows, one_column=True)) == [
        ['method', 'config', 'paper', 'ours'], ['---'] * 4,
        ['a', '`a.py`', '.713', 'Dice 0.5071, MAE 0.17'], ['b', '`b.py`', '-', 'no checkpoint']]
    assert _rows(benchmark_table.make_table(rows, digits=2))[2][3:] == ['0.51', '0.17', '']
    entries[0].training = '60 x 2, CPU'
    table = _rows(benchmark_table.make_table(rows, one_column=True))
    assert table[0][-1] == 'our training'
    assert table[2][-1] == '60 x 2, CPU' and table[3][-1] == '-'
    entries[1].speed = '0.3 images/s'
    table = _rows(benchmark_table.make_table(rows, one_column=True))
    assert table[0][-2:] == ['our training', 'speed']
    assert table[2][-2:] == ['60 x 2, CPU', '-'] and table[3][-2:] == ['-', '0.3 images/s']


def test_metafiles_list_every_config_of_their_folder():
    metafiles = sorted(glob.glob(str(REPO_ROOT / 'configs' / '*' / 'metafile.yaml')))
    folders = {osp.basename(osp.dirname(path)) for path in metafiles}
    assert folders == {'ariadne', 'c2fvl', 'infnet', 'lvit', 'ra_unet3d', 'sgseg', 'tmca',
                       'unet'}
    for path in metafiles:
        folder = osp.dirname(path)
        data = yaml.safe_load(open(path))
        (collection, ) = data['Collections']
        for key in ('Name', 'License', 'Metadata', 'Paper', 'README'):
            assert key in collection, (path, key)
        assert (REPO_ROOT / collection['README']).is_file()
        entries = benchmark_table.load_metafiles([path])
        configs = sorted(glob.glob(osp.join(folder, '*.py')))
        assert sorted(str(REPO_ROOT / e.config) for e in entries) == configs, path
        for model, entry in zip(data['Models'], entries):
            assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]
            assert model['In Collection'] == collection['Name']
            assert 'Weights' not in model or model['Weights'] is None
            for result in model.get('Results') or []:
                assert result['Task'] == 'Semantic Segmentation'
                assert all(isinstance(v, (int, float)) for v in result['Metrics'].values())


def test_readme_methods_table_is_the_specs_output():
    """README's table rows are the spec's, in its order, each with its metrics filled in:
    a row added to or changed in the spec without rerunning the tool fails here."""
    entries = benchmark_table.load_spec(
        str(REPO_ROOT / 'tools' / 'analysis_tools' / 'methods_table.yaml'))
    text = (REPO_ROOT / 'README.md').read_text()
    start = text.index(benchmark_table.START_MARKER)
    table = _rows(text[start:text.index(benchmark_table.END_MARKER)])
    assert table[0] == ['method', 'config', 'paper', 'ours', 'our training', 'speed']
    assert len(table) - 2 == len(entries)
    for row, entry in zip(table[2:], entries):
        expected = [entry.name, f'`{entry.config}`', entry.paper or '-']
        assert row[:3] == [benchmark_table._cell(cell) for cell in expected]
        assert row[4:] == [benchmark_table._cell(entry.training or '-'),
                           benchmark_table._cell(entry.speed or '-')]
        scores = [part.rsplit(' ', 1) for part in row[3].split(', ')]
        assert [name for name, _ in scores] == entry.metrics, entry.name
        assert all(float(value) >= 0 for _, value in scores), entry.name
