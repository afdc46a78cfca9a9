# TGANet's training (the authors' train.py): Adam, lr 1e-4, batch 16, up to 500 epochs,
# ReduceLROnPlateau (factor 0.1, patience 5) stepped every epoch, early stopping after 50
# epochs without a better validation Dice (F1). Differences: the plateau watches the
# validation per-image Dice (rule 'greater'), since mmseg's validation computes no loss
# (the authors watch the validation loss); training is iteration-based with one validation
# per epoch (val_interval = iters_per_epoch), so "epochs" of the plateau and of early
# stopping are validations. A config sets iters_per_epoch for its dataset and batch and
# rebuilds train_cfg and the checkpoint interval (see the configs beside this folder).
iters_per_epoch = 50
max_epochs = 500
# fused=True: one multi-tensor kernel per step (the same update, faster on a CPU).
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=1e-4, weight_decay=0.0, fused=True))
param_scheduler = [
    dict(type='ReduceOnPlateauLR', monitor='Dice_per_image', rule='greater', factor=0.1,
         patience=5, by_epoch=True)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_epochs * iters_per_epoch,
                 val_interval=iters_per_epoch)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # The latest checkpoint and the best by per-image Dice (the authors keep the best by
    # validation F1, computed per image).
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10 * iters_per_epoch,
                    max_keep_ckpts=1, save_best='Dice_per_image', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook', draw=True, interval=50))
# Early stopping (patience 50 validations) is in the configs' custom_hooks: the runtime
# base holds custom_hooks too, and bases may not share a key.
early_stopping_patience = 50
