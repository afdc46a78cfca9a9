"""Loading configs the way every vlseg tool does."""
from __future__ import annotations

import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config

from .cpu_allocator import retain_freed_memory_as_configured
from .onednn_cache import primitive_cache_capacity_as_configured

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file and merge ``--cfg-options``.

    Configs are read with ``lazy_import=False``: mmseg ships old-style ``_base_``
    configs, and mmengine's lazy mode (switched on by any ``import`` in a config
    inside a virtual environment) refuses to mix the two.

    ``data_root=PATH`` among the options also sets the ``data_root`` of every
    dataloader's dataset (and of datasets wrapped one level deep), so one option
    points a config at a dataset, as the configs' comments promise.
    """
    cfg = Config.fromfile(path, lazy_import=False)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
        if 'data_root' in cfg_options:
            set_data_root(cfg, cfg_options['data_root'])
    return cfg


def set_data_root(cfg: Config, data_root: str) -> None:
    """Set ``data_root`` of every dataloader's dataset in ``cfg``."""
    cfg.data_root = data_root
    for name in DATALOADERS:
        loader = cfg.get(name)
        if not loader or 'dataset' not in loader:
            continue
        dataset = loader['dataset']
        targets = [dataset] + list(dataset.get('datasets', []))
        if 'dataset' in dataset:
            targets.append(dataset['dataset'])
        for target in targets:
            if 'data_root' in target:
                target['data_root'] = data_root


def apply_cpu_settings(cfg: Config) -> None:
    """Apply the config's process-wide CPU settings to this process, before its model
    runs: ``env_cfg.retain_freed_memory`` (:mod:`vlseg.utils.cpu_allocator`) and
    ``env_cfg.onednn_primitive_cache_capacity`` (:mod:`vlseg.utils.onednn_cache`)."""
    retain_freed_memory_as_configured(cfg)
    primitive_cache_capacity_as_configured(cfg)


def load_run_config(path: str, cfg_options: Optional[dict] = None, launcher: str = 'none',
                    work_dir: Optional[str] = None) -> Config:
    """:func:`load_config` plus what ``tools/train.py`` and ``tools/test.py`` set alike:
    the launcher, the work dir (``./work_dirs/<config name>`` unless given), the data
    preflight (``DataPreflightHook``, unless the config sets ``data_preflight = False``)
    atomic checkpoint writes (``CheckpointHook`` with the ``atomic_local`` backend,
    ``vlseg.engine.AtomicLocalBackend``, for local work dirs), when CUDA is there,
    ``pin_memory=True`` for the dataloaders that do not say, and, applied to this process
    at once, the CPU settings of ``env_cfg`` (:func:`apply_cpu_settings`)."""
    cfg = load_config(path, cfg_options)
    apply_cpu_settings(cfg)
    if cfg.get('data_preflight', True):
        hooks = list(cfg.get('custom_hooks') or [])
        if not any(str(hook.get('type', '')).split('.')[-1] == 'DataPreflightHook'
                   for hook in hooks):
            hooks.append(dict(type='DataPreflightHook'))
        cfg.custom_hooks = hooks
    checkpoint_hook = (cfg.get('default_hooks') or {}).get('checkpoint')
    if checkpoint_hook and '://' not in str(checkpoint_hook.get('out_dir') or ''):
        # A crash during a write never leaves a truncated file under a checkpoint's name.
        checkpoint_hook.setdefault('backend_args', dict(backend='atomic_local'))
    if torch.cuda.is_available():  # page-locked batches copy to the GPU asynchronously
        for name in DATALOADERS:
            if cfg.get(name) and 'pin_memory' not in cfg[name]:
                cfg[name]['pin_memory'] = True
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def enable_amp(cfg: Config, device: Optional[str] = None, train: bool = True) -> None:
    """Mixed precision for a run (``--amp`` of the tools), on the device it will use.

    Training: ``AutocastOptimWrapper`` in bf16 on a CPU (mmengine's ``AmpOptimWrapper``
    needs a GPU; bf16 needs no loss scaling), ``AmpOptimWrapper`` (fp16 with dynamic
    loss scaling) on CUDA. Validation and test: ``AutocastValLoop`` / ``AutocastTestLoop``
    (``vlseg.engine.amp_loops``: mmengine's loops with ``fp16=True``, i.e. its ``autocast``,
    bf16 on a CPU, fp16 on CUDA, with the outputs cast back to fp32). A config that
    already sets a mixed-precision wrapper keeps it.
    """
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    wrapper = cfg.get('optim_wrapper')
    if train and wrapper:
        kind = str(wrapper.get('type', 'OptimWrapper')).split('.')[-1]
        if kind not in ('AmpOptimWrapper', 'AutocastOptimWrapper'):
            if device.startswith('cuda'):
                wrapper.update(type='AmpOptimWrapper', loss_scale='dynamic')
            else:
                wrapper.update(type='AutocastOptimWrapper', dtype='bfloat16')
    for loop, autocast_loop in (('val_cfg', 'AutocastValLoop'), ('test_cfg', 'AutocastTestLoop')):
        loop_cfg = cfg.get(loop)
        if loop_cfg is None:
            continue
        if str(loop_cfg.get('type', '')).split('.')[-1] in ('ValLoop', 'TestLoop'):
            loop_cfg['type'] = autocast_loop  # outputs back in fp32 for metrics and hooks
        loop_cfg['fp16'] = True
