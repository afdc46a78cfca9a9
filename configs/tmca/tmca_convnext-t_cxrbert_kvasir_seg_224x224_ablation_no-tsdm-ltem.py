# TMCA ablation, Table 2 row "- LTEM" (cumulative, on Kvasir-SEG): the "- TSDM" row
# (./tmca_convnext-t_cxrbert_kvasir_seg_224x224_ablation_no-tsdm.py: one-hot CLIP targets at
# the four MAS levels) with LTEM removed as well, so the decoder is Ariadne's GuideDecoder.
# Paper: this row's own figure is not recorded in ../shared/docs/methods.md; the last row of
# the table ("- contrastive alignment", the Ariadne baseline) reads 80.70, full TMCA Dice 92.20
# / Jaccard 85.54.
_base_ = ['./tmca_convnext-t_cxrbert_kvasir_seg_224x224_ablation_no-tsdm.py']
model = dict(decode_head=dict(ltem=None))
