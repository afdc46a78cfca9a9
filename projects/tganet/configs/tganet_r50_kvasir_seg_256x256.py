# TGANet (Tomar et al., MICCAI 2022) on Kvasir-SEG, as the authors' code trains it: 256x256
# inputs, batch 16, Adam 1e-4, ReduceLROnPlateau, up to 500 epochs with early stopping, the
# authors' augmentation, attributes from the mask (count: connected regions, one / multiple;
# size: the last region's bounding box over the image, small < 10% <= medium < 30% <= large).
# Data: medvlsm's Kvasir-SEG split and files (configs/_base_/datasets/kvasir_seg.py; the
# authors split Kvasir-SEG 880 / 120 themselves); set the folder with
#   --cfg-options data_root=/path/to/kvasir_polyp
# The caption (medvlsm's prompt) is not read: TGANet makes its own text from attributes.
# Protocol: per-image Dice / IoU (Dice_per_image, IoU_per_image), the authors' metrics.
# Not reproduced here (no ImageNet weights, no GPU): see projects/tganet/README.md.
_base_ = [
    './_base_/tganet_r50.py', '../../../configs/_base_/datasets/kvasir_seg.py',
    '../../../configs/_base_/default_runtime.py', './_base_/schedule_tganet_adam_plateau.py',
    './_base_/tganet_augmentation.py'
]
custom_imports = dict(imports=['projects.tganet.tganet'], allow_failed_imports=False)
crop_size = (256, 256)
# The authors' augmentation: ./_base_/tganet_augmentation.py.
train_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='LoadBinaryMask'),
    *_base_.tganet_augmentation,
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='TGANetMaskAttributes', count_source='mask', size_measure='bbox',
         size_component='last', size_thresholds=(0.10, 0.30)),
    dict(type='PackTextSegInputs', text_fields=('gt_tganet_attributes', )),
]
test_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackTextSegInputs'),
]
train_batch_size = 16
train_dataloader = dict(batch_size=train_batch_size, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# One validation per epoch: medvlsm's Kvasir-SEG train split has about 800 images.
num_train_images = 800
iters_per_epoch = -(-num_train_images // train_batch_size)  # ceil: the short last batch counts
train_cfg = dict(max_iters=_base_.max_epochs * iters_per_epoch, val_interval=iters_per_epoch)
default_hooks = dict(checkpoint=dict(interval=10 * iters_per_epoch))
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='EarlyStoppingHook', monitor='Dice_per_image', rule='greater',
         patience=_base_.early_stopping_patience),
]
