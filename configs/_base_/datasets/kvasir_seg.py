# Kvasir-SEG with medvlsm's prompts (anns/{train,val,test}.json).
# Set the dataset folder with --cfg-options data_root=PATH (docs/datasets.md).
_base_ = './lesion_2d_224.py'
data_root = 'data/kvasir_polyp'
# Caption = medvlsm's p6, e.g. "two small white round polyp, located in top right, bottom right
# of the image": count, size, colour, shape and location in one string, as in TMCA's polyp
# prompts. It was chosen by reading medvlsm's released anns/*.json (p2..p6 add shape, colour,
# size, count, location in turn; p7..p9 are 5-variant lists adding a polyp definition).
# p1 ("polyp" for every image) would give one caption for the whole dataset, leaving TSDM's
# image-to-text term constant (log B). Change prompt_key to use another prompt ('p9' with
# prompt_index=k for a variant with the definition; None for the first non-empty one).
kvasir_dataset = dict(type='KvasirSEGDataset', data_root=data_root, prompt_key='p6')
train_dataloader = dict(dataset=kvasir_dataset)
val_dataloader = dict(dataset=kvasir_dataset)
test_dataloader = dict(dataset=kvasir_dataset)
