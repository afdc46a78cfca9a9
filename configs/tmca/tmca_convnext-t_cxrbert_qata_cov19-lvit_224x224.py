# TMCA on QaTa-COV19 with LViT's original captions, the wording the paper trained on (typos
# such as "midlle" and capitalisation included), read from LViT's layout (Train Folder/img,
# labelcol, Train_text.xlsx, ...: ../../configs/_base_/datasets/qata_cov19_lvit.py).
# Everything else as ./tmca_convnext-t_cxrbert_qata_cov19_224x224.py.
# Set the dataset folder with --cfg-options data_root=PATH.
_base_ = ['./tmca_convnext-t_cxrbert_qata_cov19_224x224.py']
data_root = 'data/QaTa-COV19'
lvit_layout = dict(layout='lvit', data_root=data_root)
train_dataloader = dict(dataset=lvit_layout)
val_dataloader = dict(dataset=lvit_layout)
test_dataloader = dict(dataset=lvit_layout)
