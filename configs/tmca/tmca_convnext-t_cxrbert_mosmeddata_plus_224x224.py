# TMCA (no public code) on MosMedData+ CT slices, 224x224, batch 32; the model of
# configs/_base_/models/tmca.py (see tmca_convnext-t_cxrbert_qata_cov19_224x224.py).
# Protocol: pooled Dice / Jaccard over the test split, as LanGuideMedSeg (Dice_pooled,
# IoU_pooled).
# Paper (TMCA Table 1): Dice 78.25, Jaccard 64.27.
# AdamW 3e-4, cosine to 1e-6, batch 32, 100 epochs, random zoom p = 0.1, early stopping.
_base_ = [
    '../_base_/models/tmca.py', '../_base_/datasets/mosmeddata_plus.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_adamw_cosine_18k.py',
    '../_base_/datasets/languide_augmentation.py'
]
train_pipeline = _base_.languide_train_pipeline
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
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
