# C2FVL ablation, the paper's Table 3 row 1 (QaTa-COV19): single-scale text, no VLAB, no
# alignment loss. Table 3 builds up row by row: (1) single-scale text, (2) multi-scale text
# (./*_ablation_no-vlab.py), (3) + VLAB with L_V1 (./*_ablation_lv1.py), (4) + VLAB with L_V2
# (the full model, ./c2fvl_unet-vit_qata_cov19_224x224.py); the cosine alignment loss is
# between VLAB outputs, so a row without VLAB has none.
# Here the lesion vector weights one skip only, the first (64 channels at 224x224, where LViT,
# which C2FVL builds on, puts its text). Which scale the paper's single-scale row uses is not
# stated; the first is our choice (set model.neck.levels to pick another).
# Everything else as ./c2fvl_unet-vit_qata_cov19_224x224.py.
# Paper (C2FVL Table 3, row 1, single-scale text): Dice 83.01 (full model, row 4: 83.40).
_base_ = ['./c2fvl_unet-vit_qata_cov19_224x224.py']
model = dict(
    neck=dict(levels=(0, )),
    decode_head=dict(skip_attention=None, alignment_loss=None))
