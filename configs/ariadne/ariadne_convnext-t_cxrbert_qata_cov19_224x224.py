# Ariadne's Thread (LanGuideMedSeg) on QaTa-COV19, 224x224, batch 32, as the authors train.
# Needs CXR-BERT in a local folder (model.text_encoder.model_path) and, for the paper's
# setting, ImageNet ConvNeXt-Tiny weights (model.backbone.pretrained_path).
# Protocol: pooled Dice / Jaccard over the test split (Dice_pooled, IoU_pooled).
# Paper (TMCA Table 1): Dice 89.78, Jaccard 81.45.
_base_ = [
    '../_base_/models/ariadne_guidedecoder.py', '../_base_/datasets/qata_cov19.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_adamw_cosine_18k.py'
]
train_dataloader = dict(batch_size=32)
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='EarlyStoppingHook', monitor='Dice_pooled', rule='greater', patience=20),
]
