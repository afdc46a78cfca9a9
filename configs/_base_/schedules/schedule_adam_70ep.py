# The 3D RA-UNet paper's training: Adam, lr 1e-4, batch 4 (the dataset config), 70 epochs; no
# learning-rate decay is given, so the rate is constant. Validation (whole test volumes by
# sliding windows) every 10 epochs; the best checkpoint by mean per-volume DSC is kept.
# fused=True: one multi-tensor kernel per step, the same update, several times faster on a CPU.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, fused=True))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=70, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=10, max_keep_ckpts=1,
                    save_best='DSC', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # mmseg's overlays are 2D; the predicted volumes go out as NIfTI (VolumeDiceMetric
    # output_dir, tools/infer.py).
    visualization=dict(type='SegVisualizationHook', draw=False))
