"""--amp (bf16 autocast on this CPU) and the compile switch through the tools, and the
benchmark's breakdown, data time and alternating comparison of two checkouts."""
import glob
import io
import os.path as osp
import re
import sys

import pytest
from mmengine.config import Config
from tool_runner import QUICKSTART, REPO_ROOT, TINY, run_tool

sys.path.insert(0, osp.join(str(REPO_ROOT), 'tools', 'analysis_tools'))

import benchmark  # noqa: E402

SHORT = [option for option in TINY if not option.startswith(('train_cfg.', 'default_hooks.'))] + [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1', 'val_dataloader.dataset.indices=2']


def _losses(output: str) -> list[float]:
    return [float(value) for value in re.findall(r'Iter\(train\).*? loss: ([0-9.]+)', output)]


def test_amp_trains_tests_and_infers_in_bf16(tmp_path):
    work = tmp_path / 'work'
    run_tool('tools/train.py', QUICKSTART, '--amp', '--work-dir', str(work), '--cfg-options',
             *SHORT, 'default_hooks.visualization.interval=1')
    dumped = Config.fromfile(glob.glob(str(work / '*.py'))[0])
    assert dumped.optim_wrapper.type == 'AutocastOptimWrapper'  # CPU: bf16, no loss scaling
    assert dumped.val_cfg.type == 'AutocastValLoop' and dumped.val_cfg.fp16
    checkpoint = str(work / 'iter_2.pth')
    tested = run_tool('tools/test.py', QUICKSTART, checkpoint, '--amp', '--work-dir',
                      str(tmp_path / 'test'), '--cfg-options', *SHORT,
                      'test_dataloader.dataset.indices=2')
    assert 'Dice_pooled' in tested.stdout + tested.stderr
    from vlseg.datasets import SyntheticCXRDataset

    image = SyntheticCXRDataset(split='test', pipeline=[]).get_data_info(0)['img_path']
    run_tool('tools/infer.py', QUICKSTART, checkpoint, image, '--amp', '--out-dir',
             str(tmp_path / 'inf'))
    assert len(glob.glob(str(tmp_path / 'inf' / 'masks' / '*.png'))) == 1


def test_compile_switch_runs_and_trains_the_same(tmp_path):
    """mmengine's compile option; the aot_eager backend traces forward and backward as
    inductor does, without its minutes of C++ compilation on a CPU."""
    deterministic = ['randomness.seed=0', 'randomness.deterministic=True']
    eager = run_tool('tools/train.py', QUICKSTART, '--work-dir', str(tmp_path / 'eager'),
                     '--cfg-options', *SHORT, *deterministic)
    compiled = run_tool('tools/train.py', QUICKSTART, '--work-dir', str(tmp_path / 'compiled'),
                        '--cfg-options', *SHORT, *deterministic, 'compile.backend=aot_eager')
    assert 'has been "compiled"' in compiled.stdout + compiled.stderr
    expected, got = _losses(eager.stdout + eager.stderr), _losses(compiled.stdout + compiled.stderr)
    assert len(expected) == len(got) == 2
    assert all(abs(a - b) < 1e-3 for a, b in zip(expected, got)), (expected, got)


def test_benchmark_splits_the_step_and_reports_data_time():
    figures = benchmark.main([str(REPO_ROOT / QUICKSTART), '--batch-size', '2', '--size', '64',
                              '64', '--iters', '2', '--warmup', '1', '--device', 'cpu',
                              '--amp', '--real-data', '--cfg-options',
                              'train_dataloader.num_workers=0',
                              'train_dataloader.persistent_workers=False'])
    assert figures['amp'] and figures['data_source'] == 'training dataloader'
    parts = figures['forward_s'] + figures['backward_s'] + figures['optimizer_s']
    assert abs(parts - figures['train_s_per_iter']) < 1e-3
    assert figures['backward_s'] > 0 and figures['optimizer_s'] > 0
    assert 0 < figures['data_time_fraction'] < 1


def test_benchmark_compares_two_checkouts_in_alternation():
    """This checkout against itself: both workers run, and their ratio is reported."""
    figures = benchmark.main([str(REPO_ROOT / QUICKSTART), '--batch-size', '1', '--size', '64',
                              '64', '--iters', '2', '--warmup', '0', '--device', 'cpu',
                              '--compare', str(REPO_ROOT)])
    assert figures['ref'] == figures['main']
    for name in ('main', 'ref'):
        assert figures[f'{name}_train_s_per_iter'] > 0
        assert figures[f'{name}_inference_ms_per_batch'] > 0
    assert figures['train_speedup'] > 0 and figures['inference_speedup'] > 0


def test_benchmark_repeats_report_the_median_run_and_each_run(monkeypatch, tmp_path):
    """``--repeats 3``: three alternating runs; the figures are the median over runs."""
    (tmp_path / QUICKSTART).parent.mkdir(parents=True)
    (tmp_path / QUICKSTART).touch()
    # Per run: (main step s, ref step s, main inference s, ref inference s).
    runs = iter([(1.0, 2.0, 0.10, 0.12), (2.0, 2.4, 0.10, 0.30), (1.0, 1.5, 0.20, 0.20)])

    def alternate(args, reference):
        main, ref, main_infer, ref_infer = next(runs)
        record = dict(forward=0.0, backward=0.0, optimizer=0.0)
        return dict(main=dict(train=[dict(record, step=main)] * 3,
                              infer=[dict(step=main_infer)] * 3),
                    ref=dict(train=[dict(record, step=ref)] * 3,
                             infer=[dict(step=ref_infer)] * 3))

    monkeypatch.setattr(benchmark, 'alternate', alternate)
    figures = benchmark.main([str(REPO_ROOT / QUICKSTART), '--compare', str(tmp_path),
                              '--repeats', '3'])
    assert figures['train_speedup_runs'] == [2.0, 1.2, 1.5]
    assert figures['inference_speedup_runs'] == [1.2, 3.0, 1.0]
    assert figures['train_speedup'] == 1.5 and figures['inference_speedup'] == 1.2
    assert figures['main_train_s_per_iter'] == 1.0 and figures['ref_train_s_per_iter'] == 2.0
    assert figures['ref_inference_ms_per_batch'] == 200.0
    with pytest.raises(SystemExit, match='--repeats must be at least 1'):
        benchmark.main([str(REPO_ROOT / QUICKSTART), '--compare', str(tmp_path),
                        '--repeats', '0'])


def test_benchmark_ref_cfg_options_reach_the_reference_worker_alone(monkeypatch):
    """``--ref-cfg-options``: one config option timed against the config as it is."""
    commands = {}

    class Worker:
        def __init__(self, command, **kwargs):
            commands[command[command.index('--worker') + 1]] = command
            self.stdout = io.StringIO('{"ready": true}\n')

    monkeypatch.setattr(benchmark.subprocess, 'Popen', Worker)
    args = benchmark.parse_args([str(REPO_ROOT / QUICKSTART), '--compare', '/tmp/ref',
                                 '--cfg-options', 'a.b=1', '--ref-cfg-options',
                                 'model.data_preprocessor.channels_last=False'])
    benchmark.start_worker(args, 'main_checkout', amp=False, ref=False)
    benchmark.start_worker(args, '/tmp/ref', amp=False, ref=True)
    main_options = commands['main_checkout'][commands['main_checkout'].index('--cfg-options'):]
    ref_options = commands['/tmp/ref'][commands['/tmp/ref'].index('--cfg-options'):]
    assert main_options == ['--cfg-options', 'a.b=1']
    assert ref_options == ['--cfg-options', 'a.b=1',
                           'model.data_preprocessor.channels_last=False']
