# TMCA's recipe, shared by its dataset configs (../tmca_convnext-t_cxrbert_<dataset>_224x224.py
# add a dataset base and their epoch length): the model (ConvNeXt-Tiny + CXR-BERT + GuideDecoder
# with LTEM, L_CA + Dice + CE), AdamW 3e-4 with cosine to 1e-6 at batch 32 as the paper, the
# random zoom with p = 0.1 (TMCA builds on Ariadne's Thread and publishes no range, so this is
# Ariadne's 0.95-1.2: ../../_base_/datasets/languide_augmentation.py), and early stopping after
# 20 validations without improvement.
_base_ = [
    '../../_base_/models/tmca.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/schedule_adamw_cosine_18k.py',
    '../../_base_/datasets/languide_augmentation.py'
]
train_batch_size = 32
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='EarlyStoppingHook', monitor='Dice_pooled', rule='greater', patience=20),
]
