# TGANet (Tomar et al., MICCAI 2022) on QaTa-COV19 chest X-rays, 224x224: TGANet is a
# baseline of C2FVL's Table 1 (QaTa-COV19: Dice 79.87, IoU 70.75, per image), whose
# protocol for it is not published; this config keeps the authors' recipe (Adam 1e-4,
# batch 16, ReduceLROnPlateau, early stopping, their augmentation) and maps TGANet's two
# attributes to what QaTa gives:
#   count: the caption's number of infected areas (SGSeg's captions: the number of lung
#          zones), "one" for 1 and "multiple" for 2-6 (84% of the 2000 training captions in
#          ../shared/data); the masks' connected regions give a similar 82%, but depend on how
#          the lungs split a lesion (count_source='mask' is the option);
#   size:  the mask's lesion pixels (all regions) over the image, with the paper's
#          thresholds: small < 10% <= medium < 30% <= large (46 / 48 / 6% of the 2000
#          training masks in ../shared/data).
# Data: SGSeg's layout (configs/_base_/datasets/qata_cov19.py); set the folder with
#   --cfg-options data_root=/path/to/qata_cov19
# Protocol: per-image Dice / IoU (Dice_per_image, IoU_per_image), as C2FVL's table.
_base_ = [
    './_base_/tganet_r50.py', '../../../configs/_base_/datasets/qata_cov19.py',
    '../../../configs/_base_/default_runtime.py', './_base_/schedule_tganet_adam_plateau.py',
    './_base_/tganet_augmentation.py'
]
custom_imports = dict(imports=['projects.tganet.tganet'], allow_failed_imports=False)
crop_size = (224, 224)
# The authors' augmentation (./_base_/tganet_augmentation.py). The flips make the
# caption's "left" / "right" wrong for the flipped image; TGANet reads only the count.
train_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='LoadBinaryMask'),
    *_base_.tganet_augmentation,
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='TGANetMaskAttributes', count_source='caption', size_measure='area',
         size_component='all', size_thresholds=(0.10, 0.30)),
    dict(type='PackTextSegInputs', text_fields=('gt_tganet_attributes', )),
]
train_batch_size = 16
train_dataloader = dict(batch_size=train_batch_size, dataset=dict(pipeline=train_pipeline))
model = dict(decode_head=dict(attribute_embedding=dict(noun='infected area',
                                                       noun_plural='infected areas')))
# One validation per epoch of the full QaTa-COV19 training split (5716 images).
num_train_images = 5716
iters_per_epoch = -(-num_train_images // train_batch_size)  # ceil: the short last batch counts
train_cfg = dict(max_iters=_base_.max_epochs * iters_per_epoch, val_interval=iters_per_epoch)
default_hooks = dict(checkpoint=dict(interval=10 * iters_per_epoch))
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='EarlyStoppingHook', monitor='Dice_per_image', rule='greater',
         patience=_base_.early_stopping_patience),
]
