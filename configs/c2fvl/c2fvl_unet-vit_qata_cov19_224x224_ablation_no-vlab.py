# C2FVL ablation, the paper's Table 3 row 2 (QaTa-COV19): multi-scale text (the lesion vector
# weights all four skips), no VLAB (identity on the skips) and therefore no alignment loss
# (L_V1 / L_V2 compare VLAB outputs): no auxiliary heads. Rows 1-4 of Table 3: see
# ./c2fvl_unet-vit_qata_cov19_224x224_ablation_single-scale-text.py.
# Everything else as ./c2fvl_unet-vit_qata_cov19_224x224.py.
# Paper (C2FVL Table 3, row 2, multi-scale text without VLAB): Dice 83.18 (full model,
# row 4: 83.40).
_base_ = ['./c2fvl_unet-vit_qata_cov19_224x224.py']
model = dict(decode_head=dict(skip_attention=None, alignment_loss=None))
