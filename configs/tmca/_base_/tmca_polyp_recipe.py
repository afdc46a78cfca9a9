# TMCA's recipe (./tmca_recipe.py) with the epoch length of medvlsm's polyp splits (Kvasir-SEG,
# BKAI-IGH NeoPolyp: about 800 training images each, 25 iterations an epoch at batch 32) over
# the recipe's 100 epochs.
_base_ = ['./tmca_recipe.py']
train_cfg = dict(max_iters=2500, val_interval=25)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=2500, eta_min=1e-6, begin=0, end=2500, by_epoch=False)
]
default_hooks = dict(checkpoint=dict(interval=250))
