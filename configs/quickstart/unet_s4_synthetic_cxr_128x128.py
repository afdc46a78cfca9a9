# Quick start: a small U-Net on the embedded synthetic chest X-rays (generated on
# first use; no download). A check that training, evaluation and overlays work on
# this machine; its Dice is on synthetic data and says nothing about real images.
_base_ = [
    '../_base_/models/unet.py', '../_base_/datasets/synthetic_cxr.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_adam_20k.py'
]
model = dict(
    backbone=dict(
        base_channels=16,
        num_stages=4,
        strides=(1, 1, 1, 1),
        enc_num_convs=(2, 2, 2, 2),
        dec_num_convs=(2, 2, 2),
        downsamples=(True, True, True),
        enc_dilations=(1, 1, 1, 1),
        dec_dilations=(1, 1, 1)),
    decode_head=dict(in_channels=16, in_index=3, channels=16))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=1.0, begin=0, end=600, by_epoch=False)]
train_cfg = dict(max_iters=600, val_interval=200)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=200),
    visualization=dict(interval=8))
randomness = dict(seed=0)
