"""SGSeg's self-guided segmentor: trains with the caption, infers with its own report.

Ye et al., "Enabling Text-free Inference in Language-guided Segmentation of Chest
X-rays via Self-guidance", MICCAI 2024 (SGSeg; code ``ShuchangYe-bib/SGSeg``). A
language-guided segmentor (the Ariadne's Thread stack in the paper) is trained with
the ground-truth caption while a localization-enhanced report generator (LERG)
learns, from the same image, the six lung zones the caption names (BCE against
location pseudo-labels). At test time the caption is replaced by the report that the
generator writes (:func:`vlseg.text.location_report`): the user needs no text.

This class is :class:`LanguageGuidedSegmentor` plus a ``report_generator``, so any
language-guided model of vlseg (Ariadne, TMCA, C2FVL through its lesion vector, LViT)
becomes text-free by config alone. Training loss: the segmentor's losses (decode head,
auxiliary heads, alignment) with the ground-truth caption, plus the generator's
``loss_lerg`` (SGSeg: Dice-CE + BCE, 1:1). The location targets are the samples'
``gt_location_labels`` (``CaptionToLocationLabels`` in the training pipeline).

Which text the test-time forward reads is ``test_cfg['text_source']``, so the paper's
Table 2 rows are test runs of one checkpoint:

- ``'generated'`` (default, the paper's text-free inference): the generated report;
- ``'caption'``: the sample's caption (the ground truth in a test split);
- ``'none'``: the empty caption (the segmentor's text-free path);
- ``'caption_zones'``: the caption's six zones written as a report (what a report
  generator that gets every zone right would write; it bounds what ``'generated'``
  can reach, SGSeg's report carrying only the zones);
- ``'caption_or_generated'``: the caption where a sample has one, else the report
  (``tools/infer.py``).

Each predicted sample carries, in its metainfo, ``text`` (the text the segmentor
read), ``caption`` (the caption the sample came with), ``report`` (the generated
report) and ``location_probs`` (the six probabilities), so metrics and tools can
score the reports against the captions.

Option (ours, not the paper's): ``report_levels=(1, 2, 3)`` feeds the report
generator those levels of the segmentor's own backbone instead of the image (a
``LERG`` built with ``in_channels``, no backbone of its own): one image encoder, run
once per training step, trained by the segmentation and the zone losses together.
At test time the backbone then runs twice per image (for the report, then with it).

Option (the authors' code, not in the paper): ``contrastive_warmup=dict(iters=N,
alignment=...)`` trains only an image-text contrastive loss for the first ``N``
training steps (the code: global cosine x 10, symmetric cross-entropy, i.e.
``MultiLevelAlignment(levels=('pooled',), loss=dict(type='TSDMContrastiveLoss',
target='identity', tau2=0.1))``; the code's ``ContrastiveLoss`` compares the stride-32
map and the last text layer, both mean-pooled, without a projection), then the losses
above. The step count is then a buffer of the model, so a resumed run continues where
it stopped; without the warm-up the state dict is the language-guided model's plus
``report_generator.*``, so a checkpoint of the plain model loads with LERG's weights
added (``tools/misc/attach_report_generator.py``).

Option (ours, not the paper's): ``train_on_reports=p`` gives, at each training step, a
share ``p`` of the samples (drawn per sample) the report that the generator writes from
the same image at that step (its logits of this step, detached) in place of their caption.
Trained on ground-truth captions only, the segmentor follows the text wherever it points, so
a generated report's wrong zones steer it as firmly as right ones help; trained on a mix,
it meets the generator's errors before the test and learns how far to trust a report. The
default ``0.0`` is the paper. The generator still learns from the captions' zones.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import torch
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, SampleList
from torch import Tensor

from vlseg.registry import MODELS
from vlseg.text import location_report, location_reports, parse_caption

from ..data_preprocessors import stack_text_fields
from .language_guided_segmentor import LanguageGuidedSegmentor, add_losses, gt_masks_of

TEXT_SOURCES = ('generated', 'caption', 'none', 'caption_zones', 'caption_or_generated')


def check_text_source(test_cfg: Optional[dict]) -> str:
    """``test_cfg['text_source']`` (default ``'generated'``), checked."""
    source = (test_cfg or {}).get('text_source', 'generated')
    if source not in TEXT_SOURCES:
        raise ValueError(f'SelfGuidedSegmentor: test_cfg.text_source must be one of '
                         f'{TEXT_SOURCES}, got {source!r}')
    return source


@MODELS.register_module()
class SelfGuidedSegmentor(LanguageGuidedSegmentor):
    """A language-guided segmentor that writes its own report at inference (SGSeg).

    Args:
        report_generator: config of the location predictor (``LERG``): called on the
            preprocessed images, it returns ``(B, 6)`` zone logits and has
            ``loss(logits, labels)`` and ``predict(inputs)`` (probabilities).
        report: how probabilities become a report (:func:`vlseg.text.location_report`):
            ``threshold`` (0.5), ``style`` (``'sgseg'``: the wording of SGSeg's QaTa
            release; ``'lvit'`` for LViT's) and ``min_zones`` (1).
        contrastive_warmup: ``None`` (the paper) or ``dict(iters=N, alignment=cfg)``,
            the authors' code's contrastive warm-up (see the module docstring).
        report_levels: ``None`` (the paper: the generator reads the images) or the
            indices of the backbone levels the generator reads (our option).
        train_on_reports: share of training samples that read the generator's report
            of this step instead of their caption (our option; ``0.0``, the paper).
        train_report_generator_only: train the report generator alone, the segmentor kept
            as loaded (our option, a second stage; ``False``, the paper).
        kwargs: as :class:`LanguageGuidedSegmentor`; ``test_cfg['text_source']`` picks
            the test-time text (default ``'generated'``).
    """

    def __init__(self, report_generator: ConfigType, report: Optional[dict] = None,
                 contrastive_warmup: OptConfigType = None,
                 report_levels: Optional[Sequence[int]] = None,
                 train_on_reports: float = 0.0, train_report_generator_only: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= float(train_on_reports) <= 1.0:
            raise ValueError('SelfGuidedSegmentor: train_on_reports is a share of the '
                             f'training samples, in [0, 1]; got {train_on_reports}')
        self.train_on_reports = float(train_on_reports)
        self.report_generator = MODELS.build(report_generator)
        self.report_levels = None if report_levels is None else tuple(
            int(level) for level in report_levels)
        # LERG built with in_channels has backbone None; other generators read images.
        reads_features = getattr(self.report_generator, 'backbone', False) is None
        if (self.report_levels is not None) != reads_features:
            raise ValueError('SelfGuidedSegmentor: a report generator with its own backbone '
                             'reads the images (report_levels=None); one built without '
                             '(LERG in_channels=...) needs report_levels, the backbone '
                             'levels it reads')
        self.train_report_generator_only = bool(train_report_generator_only)
        if self.train_report_generator_only:
            if self.report_levels is not None:
                raise ValueError('SelfGuidedSegmentor: train_report_generator_only needs a '
                                 'report generator with its own backbone; this one reads the '
                                 f'segmentor\'s levels {self.report_levels}')
            if contrastive_warmup is not None or self.train_on_reports > 0:
                raise ValueError('SelfGuidedSegmentor: train_report_generator_only trains the '
                                 'report generator alone: contrastive_warmup and '
                                 'train_on_reports, which train the segmentor, do not apply')
        self.report_cfg = dict(threshold=0.5, style='sgseg', min_zones=1)
        unknown = sorted(set(report or {}) - set(self.report_cfg))
        if unknown:
            raise ValueError(f'SelfGuidedSegmentor: unknown report options {unknown}; '
                             f'known: {sorted(self.report_cfg)}')
        self.report_cfg.update(report or {})
        check_text_source(self.test_cfg)
        self.warmup_iters = 0
        self.warmup_alignment = None
        if contrastive_warmup is not None:
            contrastive_warmup = dict(contrastive_warmup)
            self.warmup_iters = int(contrastive_warmup.pop('iters'))
            self.warmup_alignment = MODELS.build(contrastive_warmup.pop('alignment'))
            if contrastive_warmup:
                raise ValueError('SelfGuidedSegmentor: contrastive_warmup takes iters and '
                                 f'alignment, got also {sorted(contrastive_warmup)}')
            # Counted in the state dict, so a resumed run continues the warm-up.
            self.register_buffer('train_steps', torch.zeros((), dtype=torch.long))

    @property
    def text_source(self) -> str:
        """The test-time text: ``test_cfg['text_source']`` (default ``'generated'``)."""
        return check_text_source(self.test_cfg)

    def report_inputs(self, inputs: Tensor, image_features: Optional[tuple] = None):
        """What the report generator reads: the images, or the ``report_levels`` of the
        backbone's features (computed here unless ``image_features`` is given)."""
        if self.report_levels is None:
            return inputs
        if image_features is None:
            image_features = self.backbone(inputs)
        try:
            return [image_features[level] for level in self.report_levels]
        except IndexError:
            raise ValueError(f'SelfGuidedSegmentor: report_levels {self.report_levels}, but '
                             f'the backbone gives {len(image_features)} levels') from None

    def generate_reports(self, inputs: Tensor) -> tuple[list[str], Tensor]:
        """Reports and ``(B, 6)`` zone probabilities of a batch of preprocessed images."""
        probabilities = self.report_generator.predict(self.report_inputs(inputs))
        reports = location_reports(probabilities.detach().float().cpu().numpy(),
                                   **self.report_cfg)
        return reports, probabilities

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        if self.warmup_alignment is not None:
            self.train_steps += 1
            if int(self.train_steps) <= self.warmup_iters:
                text = self.extract_text([sample.metainfo for sample in data_samples])
                return self.warmup_alignment(self.extract_feat(inputs, text), text,
                                             gt_masks_of(data_samples))
        # The report generator learns the caption's zones (CaptionToLocationLabels);
        # checked before the forward, so a pipeline without them fails at once.
        targets = stack_text_fields(data_samples, ('gt_location_labels',))
        targets = targets['gt_location_labels'].float().to(inputs.device)
        image_features = None if self.report_levels is None else self.backbone(inputs)
        logits = self.report_generator(self.report_inputs(inputs, image_features))
        if self.train_report_generator_only:
            return self.report_generator.loss(logits, targets)
        if self.train_on_reports > 0:
            self._replace_captions_by_reports(logits, data_samples)
        losses = super().loss(inputs, data_samples, image_features)
        add_losses(losses, self.report_generator.loss(logits, targets), 'report generator')
        return losses

    def _replace_captions_by_reports(self, logits: Tensor, data_samples: SampleList) -> None:
        """``train_on_reports``: a drawn share of the samples read this step's report."""
        chosen = torch.rand(len(data_samples)) < self.train_on_reports
        if not bool(chosen.any()):
            return
        reports = location_reports(logits.detach().float().sigmoid().cpu().numpy(),
                                   **self.report_cfg)
        for sample, report, use in zip(data_samples, reports, chosen.tolist()):
            if use:
                sample.set_metainfo(dict(caption=sample.metainfo.get('text', ''),
                                         text=report))

    def caption_zones_report(self, caption: str, metainfo: dict) -> str:
        """The report of a caption's zones (``text_source='caption_zones'``)."""
        source = metainfo.get('img_path', 'sample')
        if not caption.strip():
            raise ValueError(f"{source}: text_source='caption_zones' needs the sample's "
                             'caption, and it has none')
        zones = parse_caption(caption, source=source).location_labels()
        # Exactly the caption's zones: no most-probable zone is added.
        return location_report(zones, **dict(self.report_cfg, min_zones=0))

    def _select_text(self, inputs: Tensor, data_samples: SampleList) -> None:
        """Put the test-time text into each sample's ``text`` (keeping its ``caption``)."""
        source = self.text_source
        reports, probabilities = self.generate_reports(inputs)
        for sample, report, probs in zip(data_samples, reports, probabilities):
            caption = sample.metainfo.get('caption', sample.metainfo.get('text', '')) or ''
            if source == 'caption_zones':
                text = self.caption_zones_report(caption, sample.metainfo)
            else:
                text = {'generated': report, 'caption': caption, 'none': '',
                        'caption_or_generated': caption or report}[source]
            sample.set_metainfo(dict(caption=caption, text=text, report=report,
                                     location_probs=probs.tolist()))

    def predict(self, inputs: Tensor, data_samples: Optional[SampleList] = None) -> SampleList:
        if data_samples is None:
            shape = tuple(inputs.shape[2:])
            data_samples = [SegDataSample(metainfo=dict(
                ori_shape=shape, img_shape=shape, pad_shape=shape, padding_size=[0, 0, 0, 0]))
                for _ in range(inputs.shape[0])]
        self._select_text(inputs, data_samples)
        return super().predict(inputs, data_samples)
