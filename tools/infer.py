"""Segment images, with or without captions.

    python tools/infer.py CONFIG CHECKPOINT IMAGE_OR_FOLDER [...] --out-dir DIR
        [--caption "bilateral pulmonary infection, ..."]   # one caption for all images
        [--captions FILE.csv]                               # Image,Description rows
        [--device cpu]

Writes ``DIR/masks/NAME.png`` (lesion 255, background 0) and ``DIR/overlays/NAME.png``
(drawn by mmseg's ``SegLocalVisualizer``, as ``tools/test.py --show-dir`` draws them).
The work is :class:`vlseg.apis.VLSegInferencer`'s (mmseg's ``MMSegInferencer`` with
``texts=``); this tool lists the inputs and captions and writes the files.
An image without a caption is segmented text-free (empty caption), and the tool says
so; with a model that writes its own report (SGSeg's ``SelfGuidedSegmentor``) such an
image is segmented with the generated report instead (``--text-source`` chooses
otherwise), the report is written beside its mask (``DIR/masks/NAME.txt``), and
``DIR/texts.csv`` lists, for every image, the text the model read and where it came from.

With a 3D model (``VolumeSegmentor``, configs/ra_unet3d/) the inputs are NIfTI volumes
(``.nii`` / ``.nii.gz`` files or folders of them), segmented whole by sliding windows;
each mask is written as ``DIR/masks/NAME.nii.gz`` with its volume's affine.

An image that cannot be read or segmented (a corrupt file, a caption the model cannot
parse) does not stop the others: every image that can be segmented is written, the
ones that could not are listed at the end (file and reason, also in
``DIR/failures.csv``) and the exit status is 1.
"""
import argparse
import csv
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import cv2
from mmengine.config import DictAction

import vlseg  # noqa: F401
from vlseg.apis import TextSourceError, VLSegInferencer, list_inputs
from vlseg.datasets.ct_volume import case_name
from vlseg.datasets.layout_utils import read_caption_table, strip_mask_prefix
from vlseg.engine import CheckpointError
from vlseg.models.segmentors.self_guided_segmentor import TEXT_SOURCES, SelfGuidedSegmentor


def caption_lookup(path):
    """Image name (lower case) -> caption, from a caption table keyed by image or mask name."""
    table = {}
    for name, caption in read_caption_table(path):
        table.setdefault(strip_mask_prefix(osp.basename(name)).lower(), caption)
    return table


def text_origin(model, caption) -> str:
    """Where the text the model read came from: 'caption', 'caption_zones' (the
    caption's zones as a report), 'generated' or 'none'."""
    source = model.text_source if isinstance(model, SelfGuidedSegmentor) else 'caption'
    if source == 'generated' or (source == 'caption_or_generated' and not caption):
        return 'generated'
    if source == 'caption_zones':
        return source
    return 'caption' if caption and source != 'none' else 'none'


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
    parser.add_argument('--text-source', choices=TEXT_SOURCES,
                        help='self-guided models (SGSeg) only: the text the model reads; '
                        'default caption_or_generated (the caption where given, else the '
                        'generated report)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: bf16 autocast on a CPU, fp16 on CUDA')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def report_failures(failures, total, out_dir) -> int:
    """List the inputs that could not be segmented (also in ``failures.csv``); exit status."""
    if not failures:
        return 0
    failures_csv = osp.join(out_dir, 'failures.csv')
    with open(failures_csv, 'w', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(['Image', 'Error'])
        writer.writerows(failures)
    print(f'{len(failures)} of {total} images could not be segmented (also in '
          f'{failures_csv}):', file=sys.stderr)
    for path, reason in failures:
        print(f'  {path}: {reason}', file=sys.stderr)
    return 1


def segment_volumes(inferencer, args) -> int:
    """3D models: each NIfTI volume segmented whole, its mask written with its affine."""
    if args.caption or args.captions or args.text_source:
        raise SystemExit('tools/infer.py: 3D models read no text; drop --caption, --captions '
                         'and --text-source')
    paths = list_inputs(args.inputs, inferencer.extensions)
    mask_dir = osp.join(args.out_dir, 'masks')
    os.makedirs(mask_dir, exist_ok=True)
    failures = []
    for path in paths:  # one volume at a time: each is a whole sliding-window pass
        known_failures = len(failures)
        # The inferencer writes the mask (masks/CASE.nii.gz, with the volume's affine).
        mask = inferencer([path], out_dir=args.out_dir, pred_out_dir='masks',
                          failures=failures)['predictions']
        if len(failures) > known_failures:
            continue
        out = osp.join(mask_dir, case_name(path) + '.nii.gz')
        print(f'{path}: {int(mask.sum())} lesion voxels of {mask.size} -> {out}')
    print(f'wrote {len(paths) - len(failures)} masks to {mask_dir}')
    return report_failures(failures, len(paths), args.out_dir)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        inferencer = VLSegInferencer(args.config, args.checkpoint, args.device,
                                     cfg_options=args.cfg_options, amp=args.amp,
                                     text_source=args.text_source)
    except CheckpointError as error:
        raise SystemExit(f'tools/infer.py: {error}') from None
    except TextSourceError as error:
        raise SystemExit(f'tools/infer.py: --text-source: {error}') from None
    if inferencer.is_volume_model:
        return segment_volumes(inferencer, args)
    model = inferencer.model
    paths = list_inputs(args.inputs, inferencer.extensions)
    if args.captions:
        table = caption_lookup(args.captions)
        captions = [table.get(osp.basename(path).lower()) for path in paths]
    else:
        captions = [args.caption] * len(paths)
    self_guided = inferencer.self_guided
    text_free = [osp.basename(p) for p, c in zip(paths, captions) if not c]
    if text_free:
        how = ('with the generated report' if self_guided and model.text_source in (
            'generated', 'caption_or_generated') else 'text-free')
        print(f'{len(text_free)} of {len(paths)} images have no caption and are segmented '
              f'{how}: {", ".join(text_free[:5])}{" ..." if len(text_free) > 5 else ""}')
    mask_dir = osp.join(args.out_dir, 'masks')
    os.makedirs(mask_dir, exist_ok=True)
    failures: list[tuple[str, str]] = []
    samples = inferencer(paths, texts=captions, return_datasamples=True,
                         batch_size=args.batch_size, out_dir=args.out_dir,
                         img_out_dir='overlays', failures=failures)
    samples = samples if isinstance(samples, list) else [samples]
    caption_of = dict(zip(paths, captions))
    texts = []
    for sample in samples:
        path = sample.metainfo['img_path']
        mask = sample.pred_sem_seg.data[0].cpu().numpy().astype('uint8')
        stem = osp.splitext(osp.basename(path))[0]
        cv2.imwrite(osp.join(mask_dir, stem + '.png'), mask * 255)
        report = sample.metainfo.get('report')
        if report is not None:
            with open(osp.join(mask_dir, stem + '.txt'), 'w') as file:
                file.write(report + '\n')
        texts.append((osp.basename(path), sample.metainfo.get('text', ''),
                      text_origin(model, caption_of[path])))
    with open(osp.join(args.out_dir, 'texts.csv'), 'w', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(['Image', 'Text', 'Source'])
        writer.writerows(texts)
    print(f'wrote {len(samples)} masks to {mask_dir} and overlays to '
          f'{osp.join(args.out_dir, "overlays")}'
          + (' (generated reports beside the masks)' if self_guided else '')
          + f'; the text of each image: {osp.join(args.out_dir, "texts.csv")}')
    return report_failures(failures, len(paths), args.out_dir)


if __name__ == '__main__':
    sys.exit(main())
