# Inf-Net with a Res2Net-50 (v1b 26w x 4s) encoder on QaTa-COV19 chest X-rays (SGSeg's release
# layout; the text is not used), images resized 224 -> 352 as Inf-Net trains. Model:
# configs/_base_/models/infnet_res2net50.py; training: Adam 1e-4, batch 24 (the authors' code),
# 100 epochs with the schedule's single step to 1e-5 at epoch 50, gradient values clipped at
# 0.5, multi-scale 0.75 / 1 / 1.25 with one step per scale (schedule_infnet_adam_100ep.py,
# rescaled here to the official training split: 5716 images, ceil(5716 / 24) = 239 iterations
# an epoch, as a loader with drop_last=False, the authors', ends each epoch on a short batch).
# The shared copy (../shared/data/qata_cov19) is a 2,000-image training subset: 84 iterations
# an epoch there, so this schedule runs ~2.8x more epochs on it; a config for the subset
# derives its schedule as below with num_train_images = 2000.
# Protocol: both LViT's (Dice and IoU averaged per image: Dice_per_image, IoU_per_image; the
# numbers of the other QaTa configs) and Inf-Net's (InfNetMetric: threshold-averaged Dice, Sen,
# Spec, S-measure, E-measure, MAE on the min-max-normalised map), masks at 224x224.
# Paper: no Inf-Net result on QaTa-COV19 in the project's notes (reference points: UNet Dice
# 79.02 / IoU 69.46, LViT 84.92 / 73.79, per image, methods.md).
# ImageNet weights: set model.backbone.pretrained_path (none is downloaded).
_base_ = [
    '../_base_/models/infnet_res2net50.py', '../_base_/datasets/qata_cov19.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_infnet_adam_100ep.py'
]
crop_size = (352, 352)
train_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='MaskToEdge', method='canny', low_threshold=10, high_threshold=150),
    dict(type='PackTextSegInputs'),
]
# Masks load after Resize, so metrics are computed at the original 224x224.
test_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackTextSegInputs'),
]
train_batch_size = 24
train_dataloader = dict(batch_size=train_batch_size, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_evaluator = [dict(type='LesionMetric'), dict(type='InfNetMetric')]
test_evaluator = val_evaluator
# The base schedule's epochs, rescaled from its iters_per_epoch to this loader's.
num_train_images = 5716
iters_per_epoch = -(-num_train_images // train_batch_size)  # ceil: the last, short batch counts
param_scheduler = [
    dict(scheduler, end=scheduler.end // _base_.iters_per_epoch * iters_per_epoch,
         milestones=[milestone // _base_.iters_per_epoch * iters_per_epoch
                     for milestone in scheduler.milestones])
    for scheduler in _base_.param_scheduler
]
train_cfg = dict(max_iters=_base_.max_epochs * iters_per_epoch,
                 val_interval=10 * iters_per_epoch)
# QaTa has a validation split: keep the best checkpoint by per-image Dice as well.
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=10 * iters_per_epoch, save_best='Dice_per_image', rule='greater'))
