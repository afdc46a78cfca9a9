# TMCA (no public code) on Kvasir-SEG with medvlsm's prompts, 224x224, batch 32: the recipe of
# ./_base_/tmca_polyp_recipe.py (see ./tmca_convnext-t_cxrbert_qata_cov19_224x224.py), with
# CXR-BERT as the paper's text encoder for every dataset.
# Protocol: pooled Dice / Jaccard over the test split, as LanGuideMedSeg (Dice_pooled,
# IoU_pooled).
# Paper (TMCA): Dice 92.20, Jaccard 85.54.
_base_ = ['./_base_/tmca_polyp_recipe.py', '../_base_/datasets/kvasir_seg.py']
train_pipeline = _base_.languide_train_pipeline
train_dataloader = dict(batch_size=_base_.train_batch_size, dataset=dict(pipeline=train_pipeline))
