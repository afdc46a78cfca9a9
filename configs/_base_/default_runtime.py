default_scope = 'vlseg'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl on GPUs; vlseg falls back to gloo when CUDA is absent (docs/distributed.md).
    dist_cfg=dict(backend='nccl'),
    # vlseg's: glibc keeps freed CPU memory for the next step's tensors instead of unmapping
    # it (TMCA at batch 8: 1.1-1.3x faster CPU steps, more at larger batches; the process
    # keeps its peak memory; vlseg/utils/cpu_allocator.py).
    retain_freed_memory=True,
    # vlseg's: oneDNN keeps up to this many compiled CPU kernels; with its default, 1024,
    # Inf-Net Res2Net-50's three-scale step compiles 630 of them again every step (1.20x
    # faster at 4096; vlseg/utils/onednn_cache.py). None: oneDNN's default.
    onednn_primitive_cache_capacity=4096,
)
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, alpha=0.5)
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
custom_hooks = [dict(type='FiniteLossHook')]
# tools/train.py and tools/test.py check every record (files, mask sizes, captions) before the
# first iteration and report all problems at once (DataPreflightHook); False skips the check
# (e.g. for a huge dataset already checked with tools/misc/check_dataset.py).
data_preflight = True
# torch.compile of the train / val / test steps, mmengine's option, off unless set:
# `compile = True` (or torch.compile's keyword arguments, `compile = dict(mode=...)`; on the
# command line `--cfg-options compile.mode=max-autotune`). On a CPU the first steps then
# take minutes to compile. Mixed precision is the tools' `--amp`.
