# QaTa-COV19 in LViT's layout (Train Folder/img, labelcol, Train_text.xlsx, ...).
# Set the dataset folder with --cfg-options data_root=PATH (docs/datasets.md).
_base_ = './lesion_2d_224.py'
data_root = 'data/QaTa-COV19'
qata_dataset = dict(type='QaTaCOV19Dataset', data_root=data_root, layout='lvit')
train_dataloader = dict(dataset=qata_dataset)
val_dataloader = dict(dataset=qata_dataset)
test_dataloader = dict(dataset=qata_dataset)
