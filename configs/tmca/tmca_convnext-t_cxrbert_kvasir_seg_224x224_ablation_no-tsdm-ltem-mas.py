# TMCA ablation, Table 2 row "- MAS" (cumulative, on Kvasir-SEG): the "- LTEM" row
# (./tmca_convnext-t_cxrbert_kvasir_seg_224x224_ablation_no-tsdm-ltem.py: one-hot CLIP targets,
# no LTEM) with the contrastive alignment on the global pooled feature only (TSDM-G), not at
# strides 8, 16 and 32.
# Paper: this row's own figure is not recorded in ../shared/docs/methods.md; the next and last
# row ("- contrastive alignment", the Ariadne baseline) reads 80.70, full TMCA Dice 92.20 /
# Jaccard 85.54.
_base_ = ['./tmca_convnext-t_cxrbert_kvasir_seg_224x224_ablation_no-tsdm-ltem.py']
model = dict(alignment=dict(levels=('pooled', )))
