# LViT (Li et al., IEEE TMI 2023) on MosMedData+ CT slices with LViT's text, 224x224; model
# and schedule of ./lvit_unet-vit_bert-base_qata_cov19_224x224.py (needs bert-base-uncased in
# a local folder: model.text_encoder.model_path).
# Protocol: Dice and IoU averaged per image (Dice_per_image, IoU_per_image), with the
# predictions scored against the masks at their original resolution (the authors score at
# 224x224).
# Paper: TMCA's Table 1 reports LViT at Dice 74.57, IoU 61.33.
# Adam 3e-4 and batch 2 are carried over from the QaTa-COV19 config: LViT's Config.py gives
# a learning rate for MoNuSeg and Covid19 (QaTa) only, none for MosMedData+.
_base_ = [
    '../_base_/models/lvit.py', '../_base_/datasets/mosmeddata_plus.py',
    '../_base_/schedules/schedule_adam_cosine_restarts_2000ep.py'
]
train_dataloader = dict(batch_size=2, sampler=dict(type='DefaultSampler', shuffle=True))
optim_wrapper = dict(optimizer=dict(lr=3e-4))
