# TMCA (no public code) on MosMedData+ CT slices, 224x224, batch 32: the recipe of
# ./_base_/tmca_recipe.py (see ./tmca_convnext-t_cxrbert_qata_cov19_224x224.py).
# Protocol: pooled Dice / Jaccard over the test split, as LanGuideMedSeg (Dice_pooled,
# IoU_pooled).
# Paper (TMCA Table 1): Dice 78.25, Jaccard 64.27.
_base_ = ['./_base_/tmca_recipe.py', '../_base_/datasets/mosmeddata_plus.py']
train_pipeline = _base_.languide_train_pipeline
train_dataloader = dict(batch_size=_base_.train_batch_size, dataset=dict(pipeline=train_pipeline))
# MosMedData+ has 2183 training slices: 69 iterations an epoch at batch 32.
train_cfg = dict(max_iters=6900, val_interval=69)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=6900, eta_min=1e-6, begin=0, end=6900, by_epoch=False)
]
default_hooks = dict(checkpoint=dict(interval=690))
