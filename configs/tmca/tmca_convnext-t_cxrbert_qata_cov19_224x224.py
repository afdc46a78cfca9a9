# TMCA ("target-informed multilevel contrastive alignments"; no public code) on QaTa-COV19,
# 224x224, batch 32: ConvNeXt-Tiny + CXR-BERT (mean of the last 3 layers) + GuideDecoder with
# LTEM, trained with L_CA (TSDM at strides 8/16/32 + global) + Dice + CE (./_base_/tmca_recipe.py).
# Needs CXR-BERT in a local folder (model.text_encoder.model_path) and, for the paper's
# setting, ImageNet ConvNeXt-Tiny weights (model.backbone.pretrained_path).
# Text: this config reads SGSeg's release layout, whose captions are SGSeg's rewording of
# LViT's (lower case, "all" spelt out); the paper trained on LViT's own wording. To train on
# that, use ./tmca_convnext-t_cxrbert_qata_cov19-lvit_224x224.py (LViT's layout).
# Protocol: pooled Dice / Jaccard over the test split, as LanGuideMedSeg (Dice_pooled,
# IoU_pooled).
# Paper (TMCA Table 1): Dice 90.87, Jaccard 83.27.
# Schedule: schedule_adamw_cosine_18k's 100 epochs of 179 iterations (5716 images at batch 32).
_base_ = ['./_base_/tmca_recipe.py', '../_base_/datasets/qata_cov19.py']
train_pipeline = _base_.languide_train_pipeline
train_dataloader = dict(batch_size=_base_.train_batch_size, dataset=dict(pipeline=train_pipeline))
