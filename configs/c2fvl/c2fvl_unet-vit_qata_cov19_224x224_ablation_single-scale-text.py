# C2FVL ablation (the paper's Table 3, "single-scale" vs "multi-scale" text): the lesion
# vector weights one skip only, the first (64 channels at 224x224, where LViT, which C2FVL
# builds on, puts its text). Which scale the paper's single-scale row uses is not stated;
# the first is our choice (set model.neck.levels to pick another).
# Everything else as ./c2fvl_unet-vit_qata_cov19_224x224.py (multi-scale, L_V2, VLAB).
# Paper (C2FVL Table 1, the full model): Dice 83.40, IoU 74.62; Table 3's numbers are not in
# the project's notes.
_base_ = ['./c2fvl_unet-vit_qata_cov19_224x224.py']
model = dict(neck=dict(levels=(0, )))
