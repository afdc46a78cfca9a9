# U-Net baseline (mmseg's UNet, width 64, 5 stages) on QaTa-COV19, 224x224, no text.
# data_root defaults to data/qata_cov19 (SGSeg layout); set it with
#   --cfg-options data_root=/path/to/qata_cov19
# Metrics: LesionMetric reports per-image (LViT/C2FVL protocol) and pooled Dice/IoU.
_base_ = [
    '../_base_/models/unet.py', '../_base_/datasets/qata_cov19.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_adam_20k.py'
]
# Adam 1e-3 at batch 4 (the dataset base), as the C2FVL code trains.
optim_wrapper = dict(optimizer=dict(lr=1e-3))
