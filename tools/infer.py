"""Segment images, with or without captions.

    python tools/infer.py CONFIG CHECKPOINT IMAGE_OR_FOLDER [...] --out-dir DIR
        [--caption "bilateral pulmonary infection, ..."]   # one caption for all images
        [--captions FILE.csv]                               # Image,Description rows
        [--device cpu]

Writes ``DIR/masks/NAME.png`` (lesion 255, background 0) and
``DIR/overlays/NAME.png`` (prediction tinted red). An image without a caption is
segmented text-free (empty caption), and the tool says so.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import cv2
from mmengine.config import DictAction

import vlseg  # noqa: F401
from vlseg.apis import inference_model, init_model
from vlseg.datasets.layout_utils import IMG_EXTENSIONS, read_caption_table, strip_mask_prefix
from vlseg.datasets.transforms import LoadMedicalImageFromFile
from vlseg.visualization import overlay_mask


def list_images(inputs):
    paths = []
    for item in inputs:
        if osp.isdir(item):
            paths += sorted(osp.join(item, name) for name in os.listdir(item)
                            if name.lower().endswith(IMG_EXTENSIONS))
        elif osp.isfile(item):
            paths.append(item)
        else:
            raise FileNotFoundError(f'no such image or folder: {item}')
    if not paths:
        raise FileNotFoundError(f'no images found in {inputs}')
    return paths


def caption_lookup(path):
    """Image name (lower case) -> caption, from a caption table keyed by image or mask name."""
    table = {}
    for name, caption in read_caption_table(path):
        table.setdefault(strip_mask_prefix(osp.basename(name)).lower(), caption)
    return table


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Segment images with a vlseg model')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('inputs', nargs='+', help='image files or folders')
    parser.add_argument('--out-dir', required=True)
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--caption', help='one caption for every image')
    group.add_argument('--captions', help='caption table (.csv or .xlsx) with columns '
                       'Image,Description; Image may name the image or its mask_ file')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    paths = list_images(args.inputs)
    if args.captions:
        table = caption_lookup(args.captions)
        captions = [table.get(osp.basename(path).lower()) for path in paths]
    else:
        captions = [args.caption] * len(paths)
    text_free = [osp.basename(p) for p, c in zip(paths, captions) if not c]
    if text_free:
        print(f'{len(text_free)} of {len(paths)} images have no caption and are segmented '
              f'text-free: {", ".join(text_free[:5])}{" ..." if len(text_free) > 5 else ""}')
    model = init_model(args.config, args.checkpoint, args.device, args.cfg_options)
    mask_dir = osp.join(args.out_dir, 'masks')
    overlay_dir = osp.join(args.out_dir, 'overlays')
    os.makedirs(mask_dir, exist_ok=True)
    os.makedirs(overlay_dir, exist_ok=True)
    samples = inference_model(model, paths, captions, batch_size=args.batch_size)
    load_image = LoadMedicalImageFromFile()
    for path, sample in zip(paths, samples):
        mask = sample.pred_sem_seg.data[0].cpu().numpy().astype('uint8')
        name = osp.splitext(osp.basename(path))[0] + '.png'
        cv2.imwrite(osp.join(mask_dir, name), mask * 255)
        image = load_image(dict(img_path=path))['img']
        cv2.imwrite(osp.join(overlay_dir, name), overlay_mask(image, mask))
    print(f'wrote {len(paths)} masks to {mask_dir} and overlays to {overlay_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
