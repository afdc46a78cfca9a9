"""A segmentor that reads the image and its caption.

The language-guided U-Net family (Ariadne's Thread / LanGuideMedSeg, Zhong et al.,
MICCAI 2023; TMCA; SGSeg) shares one structure: an image backbone, a text encoder,
optional vision-language necks and a decode head that attends to the text. This is
mmseg's ``EncoderDecoder`` with a text source added; any mmseg backbone, neck or
head still fits. Text-aware components name the text keys they read
(``text_inputs``) and get ``(features, text)``; the others get the features alone.
When the model is built, ``vlseg.models.interfaces.check_components`` checks that the
parts fit (text keys, text width and length, map widths at each head's ``in_index``)
and names the two that do not, so a mix of methods' parts fails at once and clearly.

Text flows one way for training and inference: the caption kept in each sample's
metainfo (``text``; ``''`` is the text-free mode) goes, as a string, to the text source,
which tokenises or parses it (inference reaches ``encode_decode`` with image metas
only, so nothing else could reach it there); a frozen encoder's caption cache makes
that free after the first batch. A caption that a text source cannot parse
(``CaptionParseError``) is reported with the image files that carry it.

Losses that need image and text features together get both from the segmentor:
an optional ``alignment`` module (TMCA's multilevel contrastive alignment,
``MultiLevelAlignment``) is called in ``loss()`` with the image features the decode
head sees, the text dict and the batch's ground-truth masks, and its losses are
added to the decode head's. It is training-only: inference never calls it.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, SampleList, add_prefix
from torch import Tensor, nn

from vlseg.registry import MODELS
from vlseg.text import CaptionParseError

from ..interfaces import check_components, text_inputs


def gt_masks_of(data_samples: SampleList) -> Tensor:
    """The batch's ``(B, H, W)`` ground truth, stacked from ``gt_sem_seg``."""
    return torch.stack([sample.gt_sem_seg.data for sample in data_samples]).squeeze(1)


def add_losses(losses: dict, extra: dict, source: str) -> None:
    """Add ``extra`` to ``losses``; a key both hold is an error naming ``source``."""
    clash = sorted(set(extra) & set(losses))
    if clash:
        raise KeyError(f'{source} losses {clash} clash with the segmentor\'s other losses')
    losses.update(extra)


@MODELS.register_module()
class LanguageGuidedSegmentor(EncoderDecoder):
    """mmseg's ``EncoderDecoder`` with a text encoder.

    Args:
        backbone, decode_head, neck, auxiliary_head, train_cfg, test_cfg,
        data_preprocessor, pretrained, init_cfg: as ``EncoderDecoder``.
        text_encoder: config of the text source (e.g. ``HFTextEncoder``); it is
            called as ``text_encoder(captions)`` with the batch's ``B`` caption strings
            and returns a dict: ``tokens`` ``(B, L, C)`` with ``mask`` ``(B, L)`` and
            ``pooled`` ``(B, C)`` (language models), or ``vector`` ``(B, K)`` (a
            structured text vector such as C2FVL's); consumers name the keys they read.
        alignment: optional config of a training-only image-text loss module
            (e.g. ``MultiLevelAlignment``, TMCA's MAS), called in ``loss()`` as
            ``alignment(image_features, text, gt_masks)`` with the features of
            ``extract_feat`` (backbone, through the neck if any), the text dict and
            the ``(B, H, W)`` ground truth stacked from ``gt_sem_seg`` at the input
            (padded) resolution; it returns a dict of losses (keys containing
            ``'loss'`` are optimised, the others only logged), added as they are.
    """

    def __init__(self, backbone: ConfigType, decode_head: ConfigType,
                 text_encoder: ConfigType, neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None, train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None, data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None, init_cfg: OptMultiConfig = None,
                 alignment: OptConfigType = None) -> None:
        super().__init__(backbone=backbone, decode_head=decode_head, neck=neck,
                         auxiliary_head=auxiliary_head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor,
                         pretrained=pretrained, init_cfg=init_cfg)
        self.text_encoder = MODELS.build(text_encoder)
        self.alignment = MODELS.build(alignment) if alignment is not None else None
        heads = [self.decode_head]
        if self.with_auxiliary_head:
            aux = self.auxiliary_head
            heads += list(aux) if isinstance(aux, nn.ModuleList) else [aux]
        check_components(self.text_encoder, self.backbone,
                         self.neck if self.with_neck else None, heads, self.alignment)

    @property
    def with_alignment(self) -> bool:
        """Whether an image-text alignment loss is trained."""
        return self.alignment is not None

    def extract_text(self, batch_img_metas: Sequence[dict]) -> dict:
        """Text features of the batch's captions (``''`` = text-free)."""
        captions = [meta.get('text', '') or '' for meta in batch_img_metas]
        try:
            return self.text_encoder(captions)
        except CaptionParseError as error:
            # Text sources that parse captions (C2FVL's lesion vector) see strings only;
            # name the images whose caption failed, so the user knows which file to fix.
            files = [str(meta.get('img_path', f'sample {index} of the batch'))
                     for index, (meta, caption) in enumerate(zip(batch_img_metas, captions))
                     if caption == error.text]
            raise CaptionParseError(', '.join(files) or error.source, error.reason,
                                    error.words, error.text) from error

    def extract_feat(self, inputs: Tensor, text: dict,
                     image_features: Optional[tuple] = None) -> tuple:
        """Image features, through the neck (with the text when the neck takes it).

        ``image_features``: the backbone's output of ``inputs`` when the caller has it
        already (a report generator that reads the backbone), so it runs once.
        """
        features = self.backbone(inputs) if image_features is None else image_features
        if self.with_neck:
            features = self.neck(self._with_text(self.neck, features, text))
        return features

    @staticmethod
    def _with_text(module, features, text):
        return (features, text) if text_inputs(module) else features

    def encode_decode(self, inputs: Tensor, batch_img_metas: list[dict]) -> Tensor:
        text = self.extract_text(batch_img_metas)
        features = self.extract_feat(inputs, text)
        return self.decode_head.predict(self._with_text(self.decode_head, features, text),
                                        batch_img_metas, self.test_cfg)

    def loss(self, inputs: Tensor, data_samples: SampleList,
             image_features: Optional[tuple] = None) -> dict:
        """Training losses; ``image_features`` as in :meth:`extract_feat`."""
        text = self.extract_text([sample.metainfo for sample in data_samples])
        features = self.extract_feat(inputs, text, image_features)
        losses = self._decode_head_forward_train(
            self._with_text(self.decode_head, features, text), data_samples)
        if self.with_auxiliary_head:
            heads = self.auxiliary_head
            heads = list(heads) if isinstance(heads, nn.ModuleList) else [heads]
            for index, head in enumerate(heads):
                head_losses = head.loss(self._with_text(head, features, text), data_samples,
                                        self.train_cfg)
                losses.update(add_prefix(head_losses, f'aux_{index}' if len(heads) > 1
                                         else 'aux'))
        if self.with_alignment:
            add_losses(losses, self.alignment(features, text, gt_masks_of(data_samples)),
                       'alignment')
        return losses

    def _forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None) -> Tensor:
        metas = [sample.metainfo for sample in data_samples] if data_samples else [
            {}] * inputs.shape[0]
        text = self.extract_text(metas)
        features = self.extract_feat(inputs, text)
        return self.decode_head.forward(self._with_text(self.decode_head, features, text))
