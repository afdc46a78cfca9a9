# Ariadne's Thread (LanGuideMedSeg) on MosMedData+, 224x224, batch 32.
# Paper (TMCA Table 1): Dice 77.33, Jaccard 63.04.
_base_ = [
    '../_base_/models/ariadne_guidedecoder.py', '../_base_/datasets/mosmeddata_plus.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_adamw_cosine_18k.py'
]
train_dataloader = dict(batch_size=32)
# MosMedData+ has 2183 training slices: 69 iterations an epoch at batch 32.
train_cfg = dict(max_iters=6900, val_interval=69)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=6900, eta_min=1e-6, begin=0, end=6900, by_epoch=False)
]
default_hooks = dict(checkpoint=dict(interval=690))
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='EarlyStoppingHook', monitor='Dice_pooled', rule='greater', patience=20),
]
