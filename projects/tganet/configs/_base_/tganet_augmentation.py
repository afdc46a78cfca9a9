# The authors' albumentations, at the image's own size before the resize: Rotate(35, p 0.3),
# HorizontalFlip(p 0.3), VerticalFlip(p 0.3), CoarseDropout(10 holes of 32x32, p 0.3).
# Rotation pads with black and background (the authors' reflects the borders).
tganet_augmentation = [
    dict(type='RandomRotate', prob=0.3, degree=35, pad_val=0, seg_pad_val=0),
    dict(type='RandomFlip', prob=0.3, direction='horizontal'),
    dict(type='RandomFlip', prob=0.3, direction='vertical'),
    dict(type='RandomCutOut', prob=0.3, n_holes=10, cutout_shape=(32, 32), fill_in=(0, 0, 0)),
]
