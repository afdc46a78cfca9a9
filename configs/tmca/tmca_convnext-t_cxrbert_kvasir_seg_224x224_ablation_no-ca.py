# TMCA ablation, Table 2 row "- contrastive alignment" (cumulative, on Kvasir-SEG): the "- MAS"
# row (./tmca_convnext-t_cxrbert_kvasir_seg_224x224_ablation_no-tsdm-ltem-mas.py) with the
# alignment loss dropped as well: nothing of TMCA is left, this is the Ariadne baseline
# (GuideDecoder without LTEM, training loss Dice + CE), trained with TMCA's Kvasir-SEG recipe.
# Paper (TMCA Table 2): 80.70, against full TMCA Dice 92.20 / Jaccard 85.54.
_base_ = ['./tmca_convnext-t_cxrbert_kvasir_seg_224x224_ablation_no-tsdm-ltem-mas.py']
model = dict(alignment=None)
