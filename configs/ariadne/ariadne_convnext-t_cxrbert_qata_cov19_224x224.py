# Ariadne's Thread (LanGuideMedSeg) on QaTa-COV19, 224x224, batch 32, as the authors train:
# AdamW 3e-4, cosine to 1e-6, MONAI RandZoomd(0.95-1.2, p=0.1) on the image before resizing,
# per-channel z-score (the model base), DiceCE with Dice per image (MONAI DiceCELoss()).
# Needs CXR-BERT in a local folder (model.text_encoder.model_path) and, for the paper's
# setting, ImageNet ConvNeXt-Tiny weights (model.backbone.pretrained_path).
# Text: this config reads SGSeg's release layout, whose captions are SGSeg's rewording of
# LViT's (lower case, "all" spelt out); the paper trained on LViT's own wording. To train on
# that, use ./ariadne_convnext-t_cxrbert_qata_cov19-lvit_224x224.py (LViT's layout).
# Protocol: pooled Dice / Jaccard over the test split (Dice_pooled, IoU_pooled).
# Paper (TMCA Table 1): Dice 89.78, Jaccard 81.45.
_base_ = [
    '../_base_/models/ariadne_guidedecoder.py', '../_base_/datasets/qata_cov19.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_adamw_cosine_18k.py',
    '../_base_/datasets/languide_augmentation.py'
]
train_pipeline = _base_.languide_train_pipeline
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='EarlyStoppingHook', monitor='Dice_pooled', rule='greater', patience=20),
]
