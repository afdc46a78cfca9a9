# QaTa-COV19 in LanGuideMedSeg's layout (Train/Images, GTs, prompt/train.csv);
# val = the last 20% of train.csv, as the authors split it.
# Set the dataset folder with --cfg-options data_root=PATH (docs/datasets.md).
_base_ = './lesion_2d_224.py'
data_root = 'data/QaTa-COV19-v2'
qata_dataset = dict(type='QaTaCOV19Dataset', data_root=data_root, layout='languide')
train_dataloader = dict(dataset=qata_dataset)
val_dataloader = dict(dataset=qata_dataset)
test_dataloader = dict(dataset=qata_dataset)
