"""Give a trained language-guided model the report generator of a trained self-guided one.

    python tools/misc/attach_report_generator.py MODEL_CKPT SELF_GUIDED_CKPT OUT_CKPT

SGSeg's report generator (LERG, ``model.report_generator.*``) learns from the image alone,
so once trained (e.g. by ``configs/sgseg/``) it can write reports for any other
language-guided model of vlseg: this copies its weights into the checkpoint of, say, a
TMCA model trained with captions, and ``OUT_CKPT`` then loads into that method's
self-guided config (``configs/tmca/*self-guided*.py``), whose test reads the reports
(``model.test_cfg.text_source``). Both checkpoints are read with weights-only loading; the
model checkpoint's own report generator, if it has one, is replaced (said so).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch

import vlseg  # noqa: F401  (allow-lists mmengine's checkpoint objects for weights-only loads)

PREFIX = 'report_generator.'


def state_dict_of(path: str) -> dict:
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    if not isinstance(checkpoint, dict):
        raise SystemExit(f'{path} is not a checkpoint (no dict inside)')
    return checkpoint.get('state_dict', checkpoint)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('model_checkpoint')
    parser.add_argument('self_guided_checkpoint')
    parser.add_argument('out')
    args = parser.parse_args(argv)
    model = state_dict_of(args.model_checkpoint)
    generator = {key: value for key, value in state_dict_of(args.self_guided_checkpoint).items()
                 if key.startswith(PREFIX)}
    if not generator:
        raise SystemExit(f'{args.self_guided_checkpoint} has no {PREFIX}* weights: not a '
                         'self-guided (SelfGuidedSegmentor) checkpoint')
    if not any(key.startswith(PREFIX + 'backbone.') for key in generator):
        raise SystemExit(f'the report generator of {args.self_guided_checkpoint} has no backbone '
                         'of its own: it reads its segmentor\'s encoder (report_levels) and '
                         'cannot write reports for another model')
    replaced = sum(key.startswith(PREFIX) for key in model)
    merged = {key: value for key, value in model.items() if not key.startswith(PREFIX)}
    merged.update(generator)
    torch.save({'state_dict': merged, 'meta': {
        'model_checkpoint': args.model_checkpoint,
        'report_generator_from': args.self_guided_checkpoint}}, args.out)
    print(f'wrote {args.out}: {len(merged) - len(generator)} tensors of '
          f'{args.model_checkpoint} and {len(generator)} report-generator tensors of '
          f'{args.self_guided_checkpoint}'
          + (f' (replacing the {replaced} it had)' if replaced else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
