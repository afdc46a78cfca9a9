"""Test checkpoints and write their scores as a Markdown table beside the papers' numbers.

    python tools/analysis_tools/benchmark_table.py SPEC.yaml [--out FILE]
    python tools/analysis_tools/benchmark_table.py --metafile configs/*/metafile.yaml \\
        --checkpoint-dir work_dirs [--skip-missing] [--update-readme README.md]

Each entry is tested as a user would: ``tools/test.py CONFIG CKPT --work-dir TMP
--cfg-options ...`` in a subprocess, so each paper's protocol is the one in its config's
``test_evaluator``. The scores are read from the JSON that mmengine's ``LoggerHook``
writes at the end of the test (``TMP/<timestamp>/<timestamp>.json``; the same file
``tests/test_tools/test_train_test_infer.py`` reads), and the table has one row per
entry: ``method | config | paper | ours: METRIC ...`` (one column per metric, or with
``--one-column`` all of an entry's scores in one ``ours`` cell).

A spec (YAML or JSON) is a list of entries, or a mapping with such a list under
``entries``::

    - name: TMCA, MiniLM                       # the method column (default: config stem)
      config: configs/tmca/tmca_convnext-t_minilm_qata_cov19_224x224.py
      checkpoint: work_dirs/tmca_minilm/best_Dice_pooled_iter_400.pth
      cfg_options: [data_root=../shared/data/qata_cov19]
      metrics: [Dice_pooled, IoU_pooled]       # default: --metrics, else every score
      paper: 90.87 / 83.27 pooled (TMCA Table 1)
      training: 400 iterations x 8, CPU, random init   # how the checkpoint was made
      speed: 2.3 train images/s, 122 ms/image          # from tools/analysis_tools/benchmark.py

When an entry says how its checkpoint was trained (``training``) or how fast the model runs
(``speed``, measured by ``benchmark.py``), the table ends with an ``our training`` and a
``speed`` column. Without ``checkpoint`` an entry's checkpoint is looked up in
``--checkpoint-dir`` by its name, then by its config's stem.
With ``--metafile`` the entries are the ``Models`` of OpenMMLab metafiles (``configs/*/
metafile.yaml``): the method column is the model's ``In Collection``, the checkpoint is
looked up by the model's ``Name`` (the config stem) in ``--checkpoint-dir``, and the
metrics shown are the names under the model's ``Results`` (all scores where it has none).
The metafiles hold no paper numbers (they are in each README), so their paper column is
``-``. Looking up ``NAME`` in a checkpoint folder takes the first that exists of
``DIR/NAME.pth``, the newest ``DIR/NAME/best_*.pth`` and the checkpoint named by
``DIR/NAME/last_checkpoint`` (what ``tools/train.py --work-dir DIR/NAME`` leaves, and the
default work dir ``work_dirs/<config stem>``).

``--cfg-options`` is appended to every entry's own options (a ``data_root`` shared by all,
say) and ``--models PATTERN ...`` keeps the entries whose name (metafile: model ``Name``)
matches a shell pattern. A missing checkpoint is an error naming the entry; with
``--skip-missing`` the entry gets a row saying "no checkpoint". ``--update-readme FILE``
replaces what lies between the lines ``<!-- benchmark_table:start -->`` and
``<!-- benchmark_table:end -->`` of FILE with the table (an error if either marker is
missing) and leaves the rest of the file as it was. With ``--models`` and
``--update-readme --one-column``, ``--keep-rows`` re-tests only the matching entries and keeps
every other row's scores as the file's table has them (the rows in the spec's order, their
other cells from the spec), so one new or retrained checkpoint does not mean re-testing all;
an entry missing from the file's table is an error.
"""
from __future__ import annotations

import argparse
import fnmatch
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import yaml

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEST_TOOL = osp.join(REPO_ROOT, 'tools', 'test.py')
START_MARKER = '<!-- benchmark_table:start -->'
END_MARKER = '<!-- benchmark_table:end -->'
#: Keys of the test JSON that are timings, not scores.
NON_SCORE_KEYS = ('data_time', 'time', 'step', 'epoch', 'iter')
SPEC_KEYS = ('name', 'config', 'checkpoint', 'cfg_options', 'metrics', 'paper', 'training',
             'speed')
NO_CHECKPOINT = 'no checkpoint'


class BenchmarkTableError(Exception):
    """A problem with the spec, an entry, a test run or the README, in words."""


@dataclass
class Entry:
    """One row of the table: a config tested with one checkpoint."""

    name: str
    config: str
    checkpoint: Optional[str] = None
    cfg_options: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    paper: str = '-'
    training: str = ''  # how the checkpoint was trained (a column when given)
    speed: str = ''  # benchmark.py's figures for the model (a column when given)
    lookup_name: Optional[str] = None  # the name looked up in --checkpoint-dir


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Test checkpoints with tools/test.py and write a Markdown table of '
        'their scores beside the papers\' numbers')
    parser.add_argument('spec', nargs='?', help='YAML or JSON file listing the entries')
    parser.add_argument('--metafile', nargs='+', default=[],
                        help='OpenMMLab metafile(s) whose Models are the entries '
                        '(e.g. configs/*/metafile.yaml)')
    parser.add_argument('--checkpoint-dir',
                        help='folder where an entry\'s checkpoint is looked up by name')
    parser.add_argument('--models', nargs='+', default=[], metavar='PATTERN',
                        help='only the entries whose name (metafile: model Name) matches '
                        'one of these shell patterns')
    parser.add_argument('--metrics', nargs='+', default=[],
                        help='scores to show for entries that name none (default: all)')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='appended to every entry\'s own cfg_options')
    parser.add_argument('--skip-missing', action='store_true',
                        help='a row saying "no checkpoint" instead of an error')
    parser.add_argument('--one-column', action='store_true',
                        help='all of an entry\'s scores in one "ours" cell ("Dice_pooled '
                        '80.95, IoU_pooled 68") instead of one column per metric')
    parser.add_argument('--digits', type=int, default=None,
                        help='decimals of every score (default: the score rounded to 4 '
                        'decimals, trailing zeros dropped)')
    parser.add_argument('--work-dir',
                        help='keep each test\'s work dir here as WORK_DIR/<n>_<name> '
                        '(default: temporary folders, removed)')
    parser.add_argument('--out', help='write the table to this file (default: stdout)')
    parser.add_argument('--update-readme', metavar='README',
                        help=f'replace the block between {START_MARKER} and {END_MARKER}')
    parser.add_argument('--keep-rows', action='store_true',
                        help='with --models and --update-readme: test only the matching '
                        'entries, keep the other rows\' scores from the README\'s table')
    args = parser.parse_args(argv)
    if bool(args.spec) == bool(args.metafile):
        parser.error('give a spec file or --metafile (one of the two)')
    if args.keep_rows and not (args.models and args.update_readme and args.one_column):
        parser.error('--keep-rows needs --models (the rows to re-test), --update-readme '
                     '(the table whose other rows are kept) and --one-column')
    return args


# --------------------------------------------------------------------------- entries
def _as_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    raise BenchmarkTableError(f'{what} must be a list of strings, not {value!r}')


def load_spec(path: str) -> list[Entry]:
    """Read the entries of a YAML or JSON spec file."""
    if not osp.isfile(path):
        raise BenchmarkTableError(f'spec file not found: {path}')
    with open(path, encoding='utf-8') as file:
        data = json.load(file) if path.endswith('.json') else yaml.safe_load(file)
    if isinstance(data, dict):
        data = data.get('entries')
    if not isinstance(data, list) or not data:
        raise BenchmarkTableError(f'{path}: expected a non-empty list of entries (or one '
                                  'under "entries")')
    entries = []
    for index, item in enumerate(data):
        where = f'{path}: entry {index + 1}'
        if not isinstance(item, dict):
            raise BenchmarkTableError(f'{where}: expected a mapping, not {item!r}')
        unknown = sorted(set(item) - set(SPEC_KEYS))
        if unknown:
            raise BenchmarkTableError(f'{where}: unknown key(s) {unknown}; an entry takes '
                                      f'{list(SPEC_KEYS)}')
        if not item.get('config'):
            raise BenchmarkTableError(f'{where}: no "config"')
        name = str(item.get('name') or osp.splitext(osp.basename(item['config']))[0])
        entries.append(Entry(
            name=name, config=str(item['config']),
            checkpoint=str(item['checkpoint']) if item.get('checkpoint') else None,
            cfg_options=_as_list(item.get('cfg_options'), f'{where}: cfg_options'),
            metrics=_as_list(item.get('metrics'), f'{where}: metrics'),
            paper=str(item['paper']) if item.get('paper') not in (None, '') else '-',
            training=str(item.get('training') or ''), speed=str(item.get('speed') or ''),
            lookup_name=name))
    return entries


def load_metafiles(paths: Sequence[str]) -> list[Entry]:
    """One entry per ``Models`` item of the metafiles, its metrics from ``Results``."""
    entries = []
    for path in paths:
        if not osp.isfile(path):
            raise BenchmarkTableError(f'metafile not found: {path}')
        with open(path, encoding='utf-8') as file:
            data = yaml.safe_load(file) or {}
        models = data.get('Models') or []
        if not isinstance(models, list):
            raise BenchmarkTableError(f'{path}: "Models" must be a list')
        for model in models:
            if not model.get('Name') or not model.get('Config'):
                raise BenchmarkTableError(f'{path}: a model without Name or Config: {model}')
            results = model.get('Results') or []
            if isinstance(results, dict):  # mmseg's metafiles write one result as a mapping
                results = [results]
            metrics: list[str] = []
            for result in results:
                for key in (result.get('Metrics') or {}):
                    if key not in metrics:
                        metrics.append(key)
            entries.append(Entry(
                name=str(model.get('In Collection') or model['Name']),
                config=str(model['Config']), metrics=metrics,
                lookup_name=str(model['Name'])))
    return entries


def find_checkpoint(checkpoint_dir: str, name: str) -> Optional[str]:
    """``DIR/NAME.pth``, else the newest ``DIR/NAME/best_*.pth``, else ``last_checkpoint``."""
    direct = osp.join(checkpoint_dir, f'{name}.pth')
    if osp.isfile(direct):
        return direct
    folder = osp.join(checkpoint_dir, name)
    best = sorted(glob.glob(osp.join(glob.escape(folder), 'best_*.pth')), key=osp.getmtime)
    if best:
        return best[-1]
    last = osp.join(folder, 'last_checkpoint')
    if osp.isfile(last):
        with open(last, encoding='utf-8') as file:
            named = file.read().strip()
        for candidate in (named, osp.join(folder, osp.basename(named))):
            if candidate and osp.isfile(candidate):
                return candidate
    return None


# --------------------------------------------------------------------------- testing
def read_test_metrics(work_dir: str) -> dict[str, float]:
    """The scores mmengine wrote at the end of ``tools/test.py`` under ``work_dir``."""
    found = [path for path in glob.glob(osp.join(glob.escape(work_dir), '*', '*.json'))
             if osp.splitext(osp.basename(path))[0] == osp.basename(osp.dirname(path))]
    if not found:
        raise BenchmarkTableError(f'no metrics JSON (<timestamp>/<timestamp>.json) under '
                                  f'{work_dir}')
    with open(max(found, key=osp.getmtime), encoding='utf-8') as file:
        scores = json.load(file)
    return {key: value for key, value in scores.items()
            if key not in NON_SCORE_KEYS and isinstance(value, (int, float))}


def run_test(entry: Entry, checkpoint: str, work_dir: str,
             extra_options: Sequence[str]) -> dict[str, float]:
    """Run ``tools/test.py`` for one entry in a subprocess; return its scores."""
    config = entry.config
    if not osp.isfile(config) and osp.isfile(osp.join(REPO_ROOT, config)):
        config = osp.join(REPO_ROOT, config)  # metafile paths are relative to the repository
    command = [sys.executable, TEST_TOOL, config, checkpoint, '--work-dir', work_dir]
    options = [*entry.cfg_options, *extra_options]
    if options:
        command += ['--cfg-options', *options]
    print(f'benchmark_table: testing {entry.name!r}: {" ".join(command[1:])}',
          file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchmarkTableError(
            f'entry {entry.name!r}: tools/test.py failed ({done.returncode}):\n'
            f'{(done.stdout + done.stderr)[-4000:]}')
    return read_test_metrics(work_dir)


# --------------------------------------------------------------------------- table
def format_score(value: float, digits: Optional[int] = None) -> str:
    if digits is not None:
        return f'{value:.{digits}f}'
    return format(round(float(value), 4), 'g')


def _cell(text: str) -> str:
    return str(text).replace('|', '\\|').replace('\n', ' ')


def make_table(rows: Sequence[tuple[Entry, Optional[dict[str, float]]]],
               digits: Optional[int] = None, one_column: bool = False) -> str:
    """Markdown: ``method | config | paper | ours: METRIC ...`` (``None``: no checkpoint).

    With ``one_column`` the scores share one ``ours`` cell, ``METRIC VALUE, ...``; an
    ``our training`` and a ``speed`` column follow when an entry fills them.
    """
    columns: list[str] = []
    for entry, _ in rows:
        for metric in entry.metrics:
            if metric not in columns and not one_column:
                columns.append(metric)
    extra = [(title, key) for title, key in (('our training', 'training'), ('speed', 'speed'))
             if any(getattr(entry, key) for entry, _ in rows)]
    header = (['method', 'config', 'paper'] + ([f'ours: {m}' for m in columns] or ['ours'])
              + [title for title, _ in extra])
    lines = ['| ' + ' | '.join(header) + ' |', '| ' + ' | '.join(['---'] * len(header)) + ' |']
    for entry, scores in rows:
        if scores is None:
            ours = [NO_CHECKPOINT] + [''] * (max(len(columns), 1) - 1)
        elif one_column:
            ours = [', '.join(f'{m} {format_score(scores[m], digits)}' for m in entry.metrics)]
        else:
            ours = [format_score(scores[m], digits) if m in entry.metrics else ''
                    for m in columns]
        cells = [entry.name, f'`{entry.config}`', entry.paper, *ours] + [
            getattr(entry, key) or '-' for _, key in extra]
        lines.append('| ' + ' | '.join(_cell(cell) for cell in cells) + ' |')
    return '\n'.join(lines) + '\n'


def marked_block(path: str) -> tuple[str, int, int]:
    """The text of ``path`` and where the block between its two marker lines starts and
    ends; an error unless each marker is there once, in order."""
    with open(path, encoding='utf-8') as file:
        text = file.read()
    missing = [marker for marker in (START_MARKER, END_MARKER) if marker not in text]
    if missing:
        raise BenchmarkTableError(
            f'{path}: marker(s) {" and ".join(missing)} not found; put the two lines '
            f'{START_MARKER} and {END_MARKER} around the block to replace')
    if text.count(START_MARKER) > 1 or text.count(END_MARKER) > 1:
        raise BenchmarkTableError(f'{path}: each marker must appear once')
    start = text.index(START_MARKER) + len(START_MARKER)
    end = text.index(END_MARKER)
    if end < start:
        raise BenchmarkTableError(f'{path}: {END_MARKER} comes before {START_MARKER}')
    return text, start, end


def update_readme(path: str, table: str) -> None:
    """Replace the block between the two marker lines of ``path`` with ``table``."""
    text, start, end = marked_block(path)
    new_text = text[:start] + '\n' + table + text[end:]
    with open(path, 'w', encoding='utf-8') as file:
        file.write(new_text)


def kept_scores(path: str, entries: Sequence[Entry]) -> dict[str, Optional[dict[str, float]]]:
    """``--keep-rows``: each entry's scores as the ``--one-column`` table in ``path`` shows
    them (``None`` for "no checkpoint"), by entry name."""
    text, start, end = marked_block(path)
    lines = [line for line in text[start:end].splitlines() if line.startswith('|')]
    cells = [[cell.strip() for cell in re.split(r'(?<!\\)\|', line.strip().strip('|'))]
             for line in lines]
    if not cells or cells[0][:4] != ['method', 'config', 'paper', 'ours']:
        raise BenchmarkTableError(f'{path}: --keep-rows needs a table written with '
                                  '--one-column (columns method | config | paper | ours)')
    found: dict[str, Optional[dict[str, float]]] = {}
    for row in cells[2:]:
        name, ours = row[0].replace('\\|', '|'), row[3]
        if ours == NO_CHECKPOINT:
            found[name] = None
            continue
        scores = {}
        for part in ours.split(', '):
            metric, _, value = part.rpartition(' ')
            try:
                scores[metric] = float(value)
            except ValueError:
                raise BenchmarkTableError(f'{path}: row {name!r}: cannot read the score '
                                          f'{part!r}') from None
        found[name] = scores
    for entry in entries:
        missing = [m for m in entry.metrics if found.get(entry.name) and m not in found[entry.name]]
        if missing:
            raise BenchmarkTableError(f'{path}: row {entry.name!r} has no {missing} (the spec '
                                      'asks for them); test it again (--models)')
    absent = [entry.name for entry in entries if entry.name not in found]
    if absent:
        raise BenchmarkTableError(f'{path}: rows {absent} are not in its table; test them '
                                  'too (--models)')
    return {entry.name: found[entry.name] for entry in entries}


def _safe_name(name: str) -> str:
    return re.sub(r'[^A-Za-z0-9._-]+', '_', name).strip('_') or 'entry'


def build_rows(entries: Sequence[Entry], args: argparse.Namespace
               ) -> list[tuple[Entry, Optional[dict[str, float]]]]:
    rows: list[tuple[Entry, Optional[dict[str, float]]]] = []
    for index, entry in enumerate(entries):
        if not (osp.isfile(entry.config) or osp.isfile(osp.join(REPO_ROOT, entry.config))):
            raise BenchmarkTableError(f'entry {entry.name!r}: config not found: {entry.config}')
        if not entry.metrics and args.metrics:
            entry.metrics = list(args.metrics)
        checkpoint = entry.checkpoint
        if checkpoint is None and args.checkpoint_dir:
            stem = osp.splitext(osp.basename(entry.config))[0]
            for name in dict.fromkeys((entry.lookup_name or entry.name, stem)):
                checkpoint = find_checkpoint(args.checkpoint_dir, name)
                if checkpoint:
                    break
        if checkpoint is None or not osp.isfile(checkpoint):
            where = checkpoint or (
                f'{entry.lookup_name!r} in {args.checkpoint_dir}' if args.checkpoint_dir
                else 'none given (no "checkpoint" and no --checkpoint-dir)')
            if not args.skip_missing:
                raise BenchmarkTableError(
                    f'entry {entry.name!r} ({entry.config}): checkpoint not found: {where}')
            print(f'benchmark_table: {entry.name!r}: no checkpoint ({where})',
                  file=sys.stderr)
            rows.append((entry, None))
            continue
        if args.work_dir:
            work_dir = osp.join(args.work_dir, f'{index + 1:02d}_{_safe_name(entry.name)}')
            os.makedirs(work_dir, exist_ok=True)
            scores = run_test(entry, checkpoint, work_dir, args.cfg_options)
        else:
            with tempfile.TemporaryDirectory(prefix='benchmark_table_') as work_dir:
                scores = run_test(entry, checkpoint, work_dir, args.cfg_options)
        if not entry.metrics:
            entry.metrics = list(scores)
        absent = [metric for metric in entry.metrics if metric not in scores]
        if absent:
            raise BenchmarkTableError(
                f'entry {entry.name!r}: metric(s) {absent} not in the test scores '
                f'{sorted(scores)}')
        rows.append((entry, scores))
    return rows


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = parse_args(argv)
    try:
        all_entries = load_spec(args.spec) if args.spec else load_metafiles(args.metafile)
        entries = all_entries
        if args.models:
            entries = [entry for entry in entries
                       if any(fnmatch.fnmatchcase(entry.lookup_name or entry.name, pattern)
                              for pattern in args.models)]
            if not entries:
                raise BenchmarkTableError(f'no entry matches {args.models}')
        chosen = {id(entry) for entry in entries}
        # Read before the tests run, so a README lacking a kept row fails at once.
        kept = kept_scores(args.update_readme, [
            entry for entry in all_entries if id(entry) not in chosen]) if args.keep_rows else {}
        rows = build_rows(entries, args)
        if args.keep_rows:
            tested = {id(entry): scores for entry, scores in rows}
            rows = [(entry, tested[id(entry)] if id(entry) in chosen else kept[entry.name])
                    for entry in all_entries]
        table = make_table(rows, args.digits, args.one_column)
        if args.update_readme:
            update_readme(args.update_readme, table)
    except BenchmarkTableError as error:
        raise SystemExit(f'benchmark_table: {error}') from None
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as file:
            file.write(table)
    else:
        sys.stdout.write(table)
    return table


if __name__ == '__main__':
    main()
