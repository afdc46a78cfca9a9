# C2FVL (Shan et al., ICASSP 2023) on MosMedData+ CT slices with LViT's text, 224x224; the
# model, protocol and schedule of ./c2fvl_unet-vit_qata_cov19_224x224.py.
# Protocol: Dice and IoU averaged per image (Dice_per_image, IoU_per_image), with the
# predictions scored against the masks at their original resolution (the authors score at
# 224x224).
# Paper (C2FVL Table 1): Dice 74.56, IoU 61.15.
_base_ = [
    '../_base_/models/c2fvl.py', '../_base_/datasets/mosmeddata_plus.py',
    '../_base_/schedules/schedule_adam_cosine_restarts_2000ep.py'
]
train_dataloader = dict(batch_size=4, sampler=dict(type='DefaultSampler', shuffle=True))
