# C2FVL ablation (the paper's Table 3, L_V1 vs L_V2): the cosine alignment loss L_V1
# (Eq. 7-8): the deepest auxiliary map against the shallower ones average-pooled to its
# resolution, alpha = beta = gamma = 0.5. The paper reports L_V2 (the default) as the better.
# Everything else as ./c2fvl_unet-vit_qata_cov19_224x224.py.
# Paper (C2FVL Table 1, the full model with L_V2): Dice 83.40, IoU 74.62; Table 3's numbers
# are not in the project's notes.
_base_ = ['./c2fvl_unet-vit_qata_cov19_224x224.py']
model = dict(decode_head=dict(alignment_loss=dict(mode='v1')))
