"""Training throughput, inference latency and peak memory of a config's model.

    python tools/analysis_tools/benchmark.py CONFIG [--batch-size 8] [--size 224 224]
        [--iters 20] [--warmup 3] [--device cpu|cuda] [--amp] [--compile]
        [--real-data] [--compare REF_CHECKOUT [--ref-amp] [--ref-cfg-options ...]
        [--repeats K]]
        [--out result.json]
        [--random-bert-base] [--cfg-options ...]

Inputs are random images (and a QaTa-style caption) sent through the config's own
train and test pipelines, so text transforms run as in training; weights are randomly
initialised. The training step is split into forward (with the data preprocessor and
the losses), backward and optimiser (step and zero-grad), timed around the optimiser
wrapper's ``backward`` and ``step``, so models with their own ``train_step`` (Inf-Net's
three scales) are split alike. On CUDA, peak memory is ``torch.cuda.max_memory_allocated``
of each phase; on the CPU it is the process's peak resident set size (RSS), which
includes the Python process and libraries, measured after each phase (inference first).

``--amp``: mixed precision as ``tools/train.py --amp`` sets it (bf16 autocast on a CPU
through ``AutocastOptimWrapper``, ``AmpOptimWrapper`` on CUDA; inference under the same
autocast). ``--compile``: ``torch.compile`` of ``train_step`` and ``test_step``, as
mmengine's ``compile=True`` does (warm-up steps then include the compilation).

``--real-data``: the training steps read the config's training dataloader (its dataset
on disk, workers, collate) instead of one random batch, and the time each step waited
for its batch is reported beside the step time (``data_time_fraction``): the data
pipeline is the bottleneck when it is not well under 10%.

``--compare REF_CHECKOUT``: times this checkout and another checkout of vlseg (e.g. a
``git worktree`` of an older commit) on the same config path, each in its own worker
process with the same threads, one step at a time in alternation (the order swapped
every round), so that load on a shared machine hits both alike; it prints each one's
median step and inference time and the speed-ups. The reference runs in fp32 unless
``--ref-amp`` (autocast around its steps: a checkout without ``--amp`` support has no
other way to use it); this checkout runs with the flags given. ``--ref-cfg-options``
adds config options for the reference alone: ``--compare . --ref-cfg-options KEY=VALUE``
times one option against the config as it is, in the same alternation. ``--repeats K``
makes K such runs, each with fresh worker processes, and reports the median over runs
with each run's speed-ups (``train_speedup_runs``, ``inference_speedup_runs``): on a
shared CPU one run's ratio can be several percent off, the same way for all its rounds.

3D configs (``VolumeSegmentor``, configs/ra_unet3d/) take ``--size X Y Z``: random
CT-like volumes of that size, from which the training pipeline crops its patches
(training figures are patches/s), while inference segments the whole volume by
sliding windows (``inference_ms_per_image`` is then per volume; use ``--batch-size 1``).

A config whose text model lives in a user's folder (CXR-BERT) can be timed without
it: ``--random-bert-base`` writes a randomly initialised BERT-base (12 layers, 768
wide: CXR-BERT's architecture, so the same compute) with the embedded MiniLM
tokenizer to a temporary folder and points ``model.text_encoder`` at it. Whether a
frozen encoder's caption cache is on is set in the config
(``--cfg-options model.text_encoder.cache_size=0`` turns it off); every sample
carries the same caption, so with the cache on the encoder runs once, as it does
for each of QaTa's few distinct captions in a real run.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext

import torch

THIS_CHECKOUT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(description='Benchmark a vlseg model')
    parser.add_argument('config')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--size', type=int, nargs='+', default=[224, 224],
                        help='H W of the images, or X Y Z of the volumes (3D configs)')
    parser.add_argument('--iters', type=int, default=20, help='timed iterations per phase')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: bf16 autocast on a CPU, fp16 on CUDA')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile train_step and test_step (mmengine compile=True)')
    parser.add_argument('--real-data', action='store_true',
                        help="train on the config's training dataloader; report data time")
    parser.add_argument('--compare', metavar='REF_CHECKOUT',
                        help='time another checkout of vlseg on the same config, alternating')
    parser.add_argument('--ref-amp', action='store_true',
                        help='--compare: the reference runs under autocast too')
    parser.add_argument('--ref-cfg-options', nargs='+', action=DictAction,
                        help='--compare: config options for the reference alone')
    parser.add_argument('--repeats', type=int, default=1,
                        help='--compare: independent alternating runs (fresh workers each); '
                             'figures are their medians')
    parser.add_argument('--out', help='also write the figures to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument(
        '--random-bert-base', action='store_true',
        help="time the config's text encoder as a random BERT-base (CXR-BERT's shape)")
    parser.add_argument('--worker', help=argparse.SUPPRESS)  # --compare's worker: checkout
    parser.add_argument('--bert-folder', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def import_vlseg(checkout: str):
    """Import vlseg from ``checkout`` (before any other copy), and say if that failed."""
    sys.path.insert(0, checkout)
    import vlseg

    found = osp.dirname(osp.dirname(osp.abspath(vlseg.__file__)))
    if osp.realpath(found) != osp.realpath(checkout):
        raise SystemExit(f'benchmark: asked for vlseg of {checkout}, imported {found}')
    return vlseg


def write_random_bert_base(folder: str) -> str:
    """A random-weight BERT-base (CXR-BERT's architecture) with the embedded tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from vlseg.datasets.transforms.text import embedded_text_model_path

    torch.manual_seed(0)
    BertModel(BertConfig(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                         intermediate_size=3072)).save_pretrained(folder)
    AutoTokenizer.from_pretrained(embedded_text_model_path()).save_pretrained(folder)
    return folder


def peak_memory_mib(device: str) -> float:
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def synchronize(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


class Bench:
    """A config's model, batches and optimiser wrapper, ready to time one step at a time.

    Args:
        args: the parsed command line.
        amp: mixed precision for this model (``--amp``, or ``--ref-amp`` for a reference).
        autocast_only: put autocast around whole steps instead of choosing the optimiser
            wrapper (a reference checkout that has no CPU mixed-precision wrapper).
    """

    def __init__(self, args, amp: bool, autocast_only: bool = False) -> None:
        from mmengine.optim import build_optim_wrapper

        from vlseg.registry import MODELS
        from vlseg.utils import load_config, register_all_modules
        from vlseg.utils.dummy_data import make_batch

        register_all_modules()
        cfg = load_config(args.config, args.cfg_options)
        # A --compare reference is timed as its own tools ran: with the CPU settings it
        # had (the freed-memory one alone before apply_cpu_settings; none before that).
        import vlseg.utils
        cpu_settings = (getattr(vlseg.utils, 'apply_cpu_settings', None)
                        or getattr(vlseg.utils, 'retain_freed_memory_as_configured', None))
        if cpu_settings is not None:
            cpu_settings(cfg)
        self.text_model = None
        if args.bert_folder:
            if not cfg.model.get('text_encoder'):
                raise SystemExit(f'--random-bert-base: {args.config} has no model.text_encoder')
            self.text_model = 'random BERT-base (CXR-BERT shape)'
            cfg.model.text_encoder.update(model_path=args.bert_folder, trust_remote_code=False)
        self.device = args.device
        self.amp = amp
        self.autocast_only = autocast_only
        if amp and not autocast_only:
            from vlseg.utils import enable_amp

            enable_amp(cfg, self.device)
        torch.manual_seed(0)
        self.model = MODELS.build(cfg.model).to(self.device)
        self.size = tuple(args.size)
        if len(self.size) not in (2, 3):
            raise SystemExit(f'--size takes H W (images) or X Y Z (volumes), got {args.size}')
        self.batch_size = args.batch_size
        self.train_batch = make_batch(cfg, args.batch_size, self.size, 'train')
        self.test_batch = make_batch(cfg, args.batch_size, self.size, 'test')
        self.loader = None
        if args.real_data:
            from mmengine.runner import Runner

            loader_cfg = copy.deepcopy(cfg.train_dataloader)
            loader_cfg.batch_size = args.batch_size
            self.loader = Runner.build_dataloader(loader_cfg, seed=0)
            self.batches = iter(self.loader)
        self.optim_wrapper = build_optim_wrapper(self.model, copy.deepcopy(cfg.optim_wrapper))
        if args.compile:
            self.model.train_step = torch.compile(self.model.train_step)
            self.model.test_step = torch.compile(self.model.test_step)
        self.times = dict(backward=0.0, optimizer=0.0)
        self._instrument()

    def _instrument(self) -> None:
        """Time the optimiser wrapper's backward and step (and zero-grad) from inside."""
        wrapper = self.optim_wrapper
        for name, phase in (('backward', 'backward'), ('step', 'optimizer'),
                            ('zero_grad', 'optimizer')):
            original = getattr(wrapper, name)

            def timed(*args, _original=original, _phase=phase, **kwargs):
                synchronize(self.device)
                start = time.perf_counter()
                result = _original(*args, **kwargs)
                synchronize(self.device)
                self.times[_phase] += time.perf_counter() - start
                return result

            setattr(wrapper, name, timed)

    def autocast(self):
        # Not vlseg.apis.autocast: under --compare this runs on the reference checkout's
        # vlseg, which may predate that helper (the start of the speed work does).
        if not self.amp:
            return nullcontext()
        device_type = self.device.split(':')[0]
        dtype = torch.bfloat16 if device_type == 'cpu' else torch.float16
        return torch.autocast(device_type, dtype=dtype)

    def next_batch(self) -> tuple[dict, float]:
        """The batch of the next step and the seconds spent waiting for it."""
        if self.loader is None:
            return self.train_batch, 0.0
        start = time.perf_counter()
        try:
            batch = next(self.batches)
        except StopIteration:
            self.batches = iter(self.loader)
            batch = next(self.batches)
        return batch, time.perf_counter() - start

    def train_step(self) -> dict:
        """One training step: ``dict(data, step, forward, backward, optimizer)`` seconds."""
        batch, data_time = self.next_batch()
        self.model.train()
        self.times.update(backward=0.0, optimizer=0.0)
        synchronize(self.device)
        start = time.perf_counter()
        with self.autocast() if self.autocast_only else nullcontext():
            self.model.train_step(batch, self.optim_wrapper)
        synchronize(self.device)
        step = time.perf_counter() - start
        return dict(data=data_time, step=step, backward=self.times['backward'],
                    optimizer=self.times['optimizer'],
                    forward=step - self.times['backward'] - self.times['optimizer'])

    def infer(self) -> float:
        """Seconds of one inference batch (``test_step``)."""
        self.model.eval()
        synchronize(self.device)
        start = time.perf_counter()
        with torch.no_grad(), self.autocast():
            self.model.test_step(self.test_batch)
        synchronize(self.device)
        return time.perf_counter() - start


def mean_of(records: list[dict], key: str) -> float:
    return sum(record[key] for record in records) / len(records)


def run_single(args) -> dict:
    bench = Bench(args, amp=args.amp)
    model, device = bench.model, bench.device
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    for _ in range(args.warmup):
        bench.infer()
    seconds_per_batch = statistics.mean(bench.infer() for _ in range(args.iters))
    inference_memory = peak_memory_mib(device)
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    for _ in range(args.warmup):
        bench.train_step()
    steps = [bench.train_step() for _ in range(args.iters)]
    training_memory = peak_memory_mib(device)
    seconds_per_step = mean_of(steps, 'step')

    volumes = len(bench.size) == 3
    figures = dict(
        config=args.config, text_model=bench.text_model or 'as configured', device=device,
        unit='patches (training) / whole volumes (inference)' if volumes else 'images',
        threads=torch.get_num_threads(), batch_size=args.batch_size, size=list(bench.size),
        amp=args.amp, compile=args.compile, iters=args.iters,
        train_images_per_s=round(args.batch_size / seconds_per_step, 2),
        train_s_per_iter=round(seconds_per_step, 4),
        forward_s=round(mean_of(steps, 'forward'), 4),
        backward_s=round(mean_of(steps, 'backward'), 4),
        optimizer_s=round(mean_of(steps, 'optimizer'), 4),
        inference_ms_per_batch=round(seconds_per_batch * 1000, 1),
        inference_ms_per_image=round(seconds_per_batch * 1000 / args.batch_size, 1),
        peak_memory_mib_inference=round(inference_memory, 1),
        peak_memory_mib_training=round(training_memory, 1),
        memory_kind='cuda max_memory_allocated' if device.startswith('cuda')
        else 'process peak RSS',
        params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 3))
    if args.real_data:
        data_time = mean_of(steps, 'data')
        figures.update(data_source='training dataloader', data_s_per_iter=round(data_time, 4),
                       data_time_fraction=round(data_time / (data_time + seconds_per_step), 4))
    return figures


def worker(args) -> None:
    """``--compare``'s worker: build one checkout's bench, then time a step per request."""
    import_vlseg(args.worker)
    bench = Bench(args, amp=args.amp, autocast_only=args.amp and args.ref_amp)
    print(json.dumps(dict(ready=True, vlseg=args.worker)), flush=True)
    for line in sys.stdin:
        request = line.strip()
        if request == 'train':
            result = bench.train_step()
        elif request == 'infer':
            result = dict(step=bench.infer())
        else:
            break
        print(json.dumps(result), flush=True)


def config_path(args) -> str:
    """The config's path inside a checkout (``--compare`` finds it at the same place)."""
    path = osp.relpath(osp.abspath(args.config), THIS_CHECKOUT)
    if path.startswith('..'):
        raise SystemExit(f'benchmark --compare: {args.config} is not inside {THIS_CHECKOUT}')
    return path


def start_worker(args, checkout: str, amp: bool, ref: bool) -> subprocess.Popen:
    command = [sys.executable, osp.abspath(__file__), osp.join(checkout, config_path(args)),
               '--worker', checkout, '--batch-size', str(args.batch_size), '--size',
               *map(str, args.size), '--device', args.device]
    if amp:
        command.append('--amp')
    if amp and ref:
        command.append('--ref-amp')
    if args.compile and not ref:
        command.append('--compile')
    if args.real_data:
        command.append('--real-data')
    if args.bert_folder:
        command += ['--bert-folder', args.bert_folder]
    options = dict(args.cfg_options or {})
    if ref:
        options.update(args.ref_cfg_options or {})
    if options:
        command += ['--cfg-options'] + [f'{key}={value}' for key, value in options.items()]
    env = dict(os.environ, PYTHONPATH=checkout)
    # Both in the caller's folder: configs' relative data_root resolve alike.
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, env=env)
    ready = ask(process, None)
    if not ready.get('ready'):
        raise SystemExit(f'benchmark --compare: the worker for {checkout} did not start')
    return process


def ask(process: subprocess.Popen, request) -> dict:
    if request is not None:
        process.stdin.write(request + '\n')
        process.stdin.flush()
    while True:
        line = process.stdout.readline()
        if not line:
            raise SystemExit('benchmark --compare: a worker stopped (its error is above)')
        if line.startswith('{'):
            return json.loads(line)


def alternate(args, reference: str) -> dict:
    """One alternating run: fresh workers for both checkouts, then, for inference and
    for training, ``warmup + iters`` rounds of one step each, the order swapped every
    round. -> ``{name: {phase: [timed records]}}``."""
    workers = dict(main=start_worker(args, THIS_CHECKOUT, args.amp, ref=False),
                   ref=start_worker(args, reference, args.ref_amp, ref=True))
    results = {name: dict(train=[], infer=[]) for name in workers}
    try:
        for phase in ('infer', 'train'):
            for round_index in range(args.warmup + args.iters):
                order = ('main', 'ref') if round_index % 2 == 0 else ('ref', 'main')
                for name in order:
                    result = ask(workers[name], phase)
                    if round_index >= args.warmup:
                        results[name][phase].append(result)
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.stdin.write('stop\n')
                process.stdin.flush()
                process.wait()
    return results


def run_figures(results: dict) -> dict:
    """One alternating run's medians (step parts in s, inference in ms) and speed-ups."""
    run = {}
    for name, phases in results.items():
        def median(phase: str, key: str = 'step') -> float:
            return statistics.median(record[key] for record in phases[phase])
        run[f'{name}_train_s_per_iter'] = median('train')
        for key in ('forward', 'backward', 'optimizer'):
            run[f'{name}_{key}_s'] = median('train', key)
        run[f'{name}_inference_ms_per_batch'] = median('infer') * 1000
    run['train_speedup'] = run['ref_train_s_per_iter'] / run['main_train_s_per_iter']
    run['inference_speedup'] = (run['ref_inference_ms_per_batch']
                                / run['main_inference_ms_per_batch'])
    return run


def run_compare(args) -> dict:
    reference = osp.abspath(args.compare)
    if not osp.isfile(osp.join(reference, config_path(args))):
        raise SystemExit(f'benchmark --compare: {config_path(args)} is not in {reference}')
    # Each run's figures are medians of its rounds; with --repeats the reported figure is
    # the median over runs, beside each run's speed-ups. A run's ratio can be off by a few
    # percent for all its rounds alike, which alternation cannot cancel: this checkout
    # against itself (Inf-Net Res2Net-50, batch 2, fp32, 2 threads), four runs gave
    # 0.94x to 1.02x.
    if args.repeats < 1:
        raise SystemExit(f'benchmark --compare: --repeats must be at least 1, got {args.repeats}')
    runs = [run_figures(alternate(args, reference)) for _ in range(args.repeats)]

    figures = dict(config=args.config, main=THIS_CHECKOUT, ref=reference, device=args.device,
                   threads=torch.get_num_threads(), batch_size=args.batch_size,
                   size=list(args.size), iters=args.iters, repeats=args.repeats,
                   main_amp=args.amp, ref_amp=args.ref_amp,
                   ref_cfg_options=args.ref_cfg_options, compile=args.compile)
    for key in runs[0]:
        digits = 1 if key.endswith('_ms_per_batch') else 3 if key.endswith('speedup') else 4
        figures[key] = round(statistics.median(run[key] for run in runs), digits)
    if args.repeats > 1:
        for key in ('train_speedup', 'inference_speedup'):
            figures[f'{key}_runs'] = [round(run[key], 3) for run in runs]
    return figures


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return {}
    import_vlseg(THIS_CHECKOUT)
    if args.random_bert_base and not args.bert_folder:
        args.bert_folder = write_random_bert_base(tempfile.mkdtemp(prefix='bert_base_'))
    figures = run_compare(args) if args.compare else run_single(args)
    for key, value in figures.items():
        print(f'{key:28s} {value}')
    if args.out:
        with open(args.out, 'w') as file:
            json.dump(figures, file, indent=1)
    return figures


if __name__ == '__main__':
    main()
