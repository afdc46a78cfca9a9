# TMCA ablation "without MAS": the TSDM contrastive alignment on the global pooled feature
# only (TSDM-G), not at strides 8, 16 and 32; LTEM kept.
# Paper (TMCA Tables 2-3, on Kvasir-SEG): each of TSDM, LTEM, MAS and the contrastive
# alignment adds 0.6-1.7 Jaccard; full TMCA: Kvasir-SEG Dice 92.20 / Jaccard 85.54, QaTa-COV19
# Dice 90.87 / Jaccard 83.27 (pooled Dice / Jaccard, as LanGuideMedSeg). On Kvasir-SEG, as the
# paper's ablation; the same override on another dataset's TMCA config ablates it there.
_base_ = ['./tmca_convnext-t_cxrbert_kvasir_seg_224x224.py']
model = dict(alignment=dict(levels=('pooled', )))
