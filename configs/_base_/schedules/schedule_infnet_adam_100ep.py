# Inf-Net's schedule (DengPingFan/Inf-Net MyTrain_LungInf.py, utils.py): Adam 1e-4 (no weight
# decay), gradient values clipped to [-0.5, 0.5] at every step (clip_gradient), 100 epochs (the
# code trains epochs 1-99), decay_rate 0.1 and decay_epoch 50.
# Learning-rate decay. No paper gives one: the seed paper says only "Adam, learning rate 1e-4",
# and the step-down exists only in the authors' code. There, adjust_lr multiplies the CURRENT
# lr by 0.1 ** (epoch // 50) at the start of every epoch, so from epoch 50 (1-based) it
# compounds: 1e-5 in epoch 50, 1e-6 in epoch 51, ~0 (1e-9 by epoch 54) for the rest of training.
# Default here: a SINGLE step, lr 1e-4 for epochs 1-49 and 1e-5 from epoch 50 to the end (the
# code's decay_rate / decay_epoch read as one step). The code's compounding decay is the
# authors'-code option: configs/infnet/infnet_res2net50_covid_ct_352x352_authors-code.py.
# Iterations are for the COVID-19 CT slices (50 training slices) at the seed's batch 2:
# 25 iterations an epoch. A config with another dataset or batch size sets iters_per_epoch
# and rebuilds param_scheduler, train_cfg and the checkpoint interval from it (see
# configs/infnet/infnet_res2net50_qata_cov19_352x352.py).
# Multi-scale training (three optimiser steps per iteration) is the model's
# (MultiScaleStepEncoderDecoder.train_scales).
# The authors evaluate the last model and Inf-Net has no validation split (val reads the test
# slices), so the last checkpoint is kept, not the best on validation.
iters_per_epoch = 25
max_epochs = 100
decay_epoch = 50
# fused=True: one multi-tensor kernel per step (the same update; 6x faster than the
# per-parameter loop on a CPU, measured on Res2Net-50's 23.5 M parameters: 89 vs 570 ms).
optimizer = dict(type='Adam', lr=1e-4, weight_decay=0.0, fused=True)
optim_wrapper = dict(
    type='OptimWrapper', optimizer=optimizer, clip_grad=dict(type='value', clip_value=0.5))
# Milestones in iterations: the lr is multiplied by 0.1 at the start of epoch decay_epoch.
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_epochs * iters_per_epoch,
         gamma=0.1, milestones=[(decay_epoch - 1) * iters_per_epoch])
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_epochs * iters_per_epoch,
                 val_interval=10 * iters_per_epoch)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=25, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10 * iters_per_epoch,
                    max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook', draw=True, interval=10))
