# TMCA (no public code) on Kvasir-SEG with medvlsm's prompts, 224x224, batch 32: the recipe of
# ./_base_/tmca_recipe.py (see ./tmca_convnext-t_cxrbert_qata_cov19_224x224.py), with CXR-BERT
# as the paper's text encoder for every dataset.
# Protocol: pooled Dice / Jaccard over the test split, as LanGuideMedSeg (Dice_pooled,
# IoU_pooled).
# Paper (TMCA): Dice 92.20, Jaccard 85.54.
_base_ = ['./_base_/tmca_recipe.py', '../_base_/datasets/kvasir_seg.py']
train_pipeline = _base_.languide_train_pipeline
train_dataloader = dict(batch_size=_base_.train_batch_size, dataset=dict(pipeline=train_pipeline))
# medvlsm's split has about 800 training images: 25 iterations an epoch at batch 32.
train_cfg = dict(max_iters=2500, val_interval=25)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=2500, eta_min=1e-6, begin=0, end=2500, by_epoch=False)
]
default_hooks = dict(checkpoint=dict(interval=250))
