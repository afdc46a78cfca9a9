"""Training throughput, inference latency and peak memory of a config's model.

    python tools/analysis_tools/benchmark.py CONFIG [--batch-size 8] [--size 224 224]
        [--iters 20] [--warmup 3] [--device cpu|cuda] [--amp] [--out result.json]
        [--random-bert-base]

3D configs (``VolumeSegmentor``, configs/ra_unet3d/) take ``--size X Y Z``: random
CT-like volumes of that size, from which the training pipeline crops its patches
(training figures are patches/s), while inference segments the whole volume by
sliding windows (``inference_ms_per_image`` is then per volume; use ``--batch-size 1``).

Inputs are random images (and a QaTa-style caption) sent through the config's own
train and test pipelines, so text transforms run as in training; data loading
from disk is not timed. Weights are randomly initialised. On CUDA, peak memory
is ``torch.cuda.max_memory_allocated`` of each phase; on the CPU it is the
process's peak resident set size (RSS), which includes the Python process and
libraries, measured after each phase (inference runs first).

A config whose text model lives in a user's folder (CXR-BERT) can be timed without
it: ``--random-bert-base`` writes a randomly initialised BERT-base (12 layers, 768
wide: CXR-BERT's architecture, so the same compute) with the embedded MiniLM
tokenizer to a temporary folder and points ``model.text_encoder`` at it. Whether a
frozen encoder's caption cache is on is set in the config
(``--cfg-options model.text_encoder.cache_size=0`` turns it off); every sample
carries the same caption, so with the cache on the encoder runs once, as it does
for each of QaTa's few distinct captions in a real run.
"""
import argparse
import json
import os.path as osp
import resource
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch
from mmengine.config import DictAction
from mmengine.optim import build_optim_wrapper

import vlseg  # noqa: F401
from vlseg.registry import MODELS
from vlseg.utils import load_config, register_all_modules
from vlseg.utils.dummy_data import make_batch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark a vlseg model')
    parser.add_argument('config')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--size', type=int, nargs='+', default=[224, 224],
                        help='H W of the images, or X Y Z of the volumes (3D configs)')
    parser.add_argument('--iters', type=int, default=20, help='timed iterations per phase')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true', help='mixed precision (CUDA)')
    parser.add_argument('--out', help='also write the figures to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument(
        '--random-bert-base', action='store_true',
        help="time the config's text encoder as a random BERT-base (CXR-BERT's shape)")
    return parser.parse_args(argv)


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


def timed(step, iters: int, warmup: int, device: str) -> float:
    """Seconds per call of ``step`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        step()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(iters):
        step()
    synchronize(device)
    return (time.perf_counter() - start) / iters


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    text_model = None
    if args.random_bert_base:
        if not cfg.model.get('text_encoder'):
            raise SystemExit(f'--random-bert-base: {args.config} has no model.text_encoder')
        text_model = 'random BERT-base (CXR-BERT shape)'
        cfg.model.text_encoder.update(
            model_path=write_random_bert_base(tempfile.mkdtemp(prefix='bert_base_')),
            trust_remote_code=False)
    device = args.device
    model = MODELS.build(cfg.model).to(device)
    size = tuple(args.size)
    if len(size) not in (2, 3):
        raise SystemExit(f'--size takes H W (images) or X Y Z (volumes), got {args.size}')
    train_batch = make_batch(cfg, args.batch_size, size, 'train')
    test_batch = make_batch(cfg, args.batch_size, size, 'test')
    autocast = dict(device_type=device.split(':')[0], enabled=args.amp)

    model.eval()
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()

    def infer():
        with torch.no_grad(), torch.autocast(**autocast):
            model.test_step(test_batch)

    seconds_per_batch = timed(infer, args.iters, args.warmup, device)
    inference_memory = peak_memory_mib(device)

    model.train()
    optim_cfg = cfg.optim_wrapper.copy()
    if args.amp:
        optim_cfg.type = 'AmpOptimWrapper'
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    seconds_per_step = timed(lambda: model.train_step(train_batch, optim_wrapper),
                             args.iters, args.warmup, device)
    training_memory = peak_memory_mib(device)

    volumes = len(size) == 3
    figures = dict(
        config=args.config, text_model=text_model or 'as configured', device=device,
        unit='patches (training) / whole volumes (inference)' if volumes else 'images',
        threads=torch.get_num_threads(),
        batch_size=args.batch_size, size=list(size), amp=args.amp, iters=args.iters,
        train_images_per_s=round(args.batch_size / seconds_per_step, 2),
        train_s_per_iter=round(seconds_per_step, 4),
        inference_ms_per_batch=round(seconds_per_batch * 1000, 1),
        inference_ms_per_image=round(seconds_per_batch * 1000 / args.batch_size, 1),
        peak_memory_mib_inference=round(inference_memory, 1),
        peak_memory_mib_training=round(training_memory, 1),
        memory_kind='cuda max_memory_allocated' if device.startswith('cuda')
        else 'process peak RSS',
        params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 3))
    for key, value in figures.items():
        print(f'{key:28s} {value}')
    if args.out:
        with open(args.out, 'w') as file:
            json.dump(figures, file, indent=1)
    return figures


if __name__ == '__main__':
    main()
