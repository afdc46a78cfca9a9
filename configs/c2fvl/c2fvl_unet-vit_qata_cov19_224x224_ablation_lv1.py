# C2FVL ablation, the paper's Table 3 row 3 (QaTa-COV19): multi-scale text, VLAB, and the
# cosine alignment loss L_V1 (Eq. 7-8) instead of L_V2: the deepest auxiliary map against the
# shallower ones average-pooled to its resolution, alpha L_{4,1} + beta L_{4,2} +
# gamma L_{4,3}, alpha = beta = gamma = 0.5. Rows 1-4 of Table 3: see
# ./c2fvl_unet-vit_qata_cov19_224x224_ablation_single-scale-text.py.
# Everything else as ./c2fvl_unet-vit_qata_cov19_224x224.py.
# Paper (C2FVL Table 3, row 3, VLAB + L_V1): Dice 83.08 (row 4, VLAB + L_V2, the full model:
# 83.40).
_base_ = ['./c2fvl_unet-vit_qata_cov19_224x224.py']
model = dict(decode_head=dict(alignment_loss=dict(mode='v1')))
