# TMCA (no public code) on BKAI-IGH NeoPolyp with medvlsm's prompts, 224x224, batch 32: the
# recipe of ./_base_/tmca_polyp_recipe.py (see ./tmca_convnext-t_cxrbert_qata_cov19_224x224.py),
# with CXR-BERT as the paper's text encoder for every dataset.
# Protocol: pooled Dice / Jaccard over the test split, as LanGuideMedSeg (Dice_pooled,
# IoU_pooled).
# Paper (TMCA): Dice 94.69, Jaccard 89.91.
_base_ = ['./_base_/tmca_polyp_recipe.py', '../_base_/datasets/bkai_polyp.py']
train_pipeline = _base_.languide_train_pipeline
train_dataloader = dict(batch_size=_base_.train_batch_size, dataset=dict(pipeline=train_pipeline))
