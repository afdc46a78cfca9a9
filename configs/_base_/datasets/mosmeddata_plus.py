# MosMedData+ CT slices with LViT's text, in LViT's layout.
# Set the dataset folder with --cfg-options data_root=PATH (docs/datasets.md).
_base_ = './lesion_2d_224.py'
data_root = 'data/MosMedDataPlus'
mosmed_dataset = dict(type='MosMedDataPlusDataset', data_root=data_root)
train_dataloader = dict(dataset=mosmed_dataset)
val_dataloader = dict(dataset=mosmed_dataset)
test_dataloader = dict(dataset=mosmed_dataset)
