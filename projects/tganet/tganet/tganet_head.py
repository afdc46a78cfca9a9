"""TGANet's decoder: FEM on four encoder levels, text-guided decoding, multi-scale fusion.

Tomar et al., "TGANet: Text-guided attention for improved polyp segmentation", MICCAI
2022 (method, architecture figure); authors' code ``nikhilroxtomar/TGANet`` (``model.py``
``TGAPolypSeg``, ``train.py``). Written from the paper and that code; the formulas in
these docstrings are the code's (the paper's equation numbers are not cited). From the
encoder levels ``x_1..x_4`` (ResNet-50's stem and layers 1-3: 64/256/512/1024 channels at strides
2/4/8/16; the authors do not use layer4)::

    count, size = AttributeClassifier(x_4)                       (TGANetAttributeClassifier)
    t   = AttributeEmbedding(softmax(count), softmax(size))       (TGANetAttributeEmbedding)
    s_i = FEM(x_i)                                               (TGANetFeatureEnhancement)
    d_1 = Dec(s_4, s_3);  a_1, y_1 = LA(d_1, t)                  (TGANetDecoderBlock,
    d_2 = Dec(y_1, s_2);  a_2, y_2 = LA(d_2, t + a_1)             TGANetLabelAttention)
    d_3 = Dec(y_2, s_1);  _,   y_3 = LA(d_3, t + a_1 + a_2)
    mask = up2(conv1x1(MFA(y_1, y_2, y_3)))                      (TGANetFeatureAggregation)

Loss (the authors' ``train.py``): ``DiceBCE(mask) + CE(count) + CE(size)``, each weight 1;
their Dice is one Dice over the whole batch (``BinaryDiceLoss(per_image=False)``, smooth
1) and their BCE the mean over the pixels (mmseg's sigmoid ``CrossEntropyLoss``). The
attribute targets come from the pipeline (``TGANetMaskAttributes``: field
``gt_tganet_attributes``); an ``ignore_index`` target is left out of its loss.

Inference is text-free: the attribute probabilities come from the classifier, so no
caption is read (:meth:`TGANetHead.predict_attributes` gives the predicted attributes
and their sentence).

Choices and differences from the code, all stated:

- the final 1x1 conv (mmseg's ``conv_seg``, with bias, as the code's) runs at stride 2
  and its map is upsampled after it, where the code upsamples first: a 1x1 conv and a
  bilinear resize commute, so the logits are the same, at a quarter of the cost; the
  upsampling to the label (loss) or input (inference) is mmseg's, bilinear with
  ``align_corners=True`` as the code's ``Upsample``;
- every upsampling resizes to the size of the map it meets (any input size runs; at
  multiples of 16 this is the code's fixed 2x / 4x);
- the code applies ``softmax`` to the attribute logits and then ``nn.CrossEntropyLoss``,
  which applies a second softmax; here CE is on the logits (``attribute_loss_on_probs=
  True`` reproduces the code);
- ``text_from='ground_truth'`` (an option, not the code): one-hot ground-truth
  attributes weight the words at training (teacher forcing), predicted ones at inference;
- layers are mmcv ``ConvModule`` (vlseg's ``AuthorsConvModule``: conv without bias + BN
  [+ ReLU], with PyTorch's initialisation) and the 1x1 convs on
  vectors are bias-free ``nn.Linear``; PyTorch's default initialisation everywhere, as
  the code (``init_cfg=None``); parameter names differ from the code, so its checkpoints
  do not load as they are.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.utils import SampleList
from torch import Tensor

from vlseg.models.decode_heads.binary_head_utils import (
    binary_accuracy,
    build_loss_decode,
    check_pyramid_transform,
    select_maps,
)
from vlseg.registry import MODELS

from .layers import (
    TGANetDecoderBlock,
    TGANetFeatureAggregation,
    TGANetFeatureEnhancement,
    TGANetLabelAttention,
)
from .mask_attributes import ATTRIBUTES_KEY

TEXT_SOURCES = ('predicted', 'ground_truth')


@MODELS.register_module()
class TGANetHead(BaseDecodeHead):
    """TGANet's text-guided decoder with its auxiliary attribute classifier.

    ``forward`` returns ``(mask logits at stride 2, count logits (B, 2), size logits
    (B, 3))``; ``predict_by_feat`` uses the mask logits.

    Args:
        in_channels: widths of ``x_1..x_4`` ((64, 256, 512, 1024) for ResNet-50).
        channels: width of the FEMs, decoder and aggregation (128, as the authors).
        dilations: the FEMs' dilations ((6, 12, 18)).
        attribute_classifier: config of the classifier (``TGANetAttributeClassifier``);
            ``in_channels`` and ``num_classes`` default to ``x_4``'s width and the
            embedding's vocabulary.
        attribute_embedding: config of the text module (``TGANetAttributeEmbedding``).
        text_from: ``'predicted'`` (the authors: softmax of the classifier at training
            and inference) or ``'ground_truth'`` (teacher forcing at training).
        loss_decode: mask losses, a dict or a list of dicts (vlseg's registry).
        loss_count, loss_size: attribute losses (mmseg's ``CrossEntropyLoss``).
        attribute_loss_on_probs: feed softmax probabilities to the attribute losses (the
            code's double softmax) instead of logits.
        num_classes, out_channels, threshold: one sigmoid channel (binary lesion).
        align_corners: of every bilinear resize (``True``, as the code).
        in_index, input_transform: which backbone outputs are ``x_1..x_4``.
        conv_cfg, norm_cfg, act_cfg: mmcv layer configs (``nn.Conv2d``, BN, ReLU).
        init_cfg: ``None``: PyTorch's default initialisation (as the code).
        kwargs: the rest of ``BaseDecodeHead``'s arguments (``ignore_index``...).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (64, 256, 512, 1024),
                 channels: int = 128,
                 dilations: Sequence[int] = (6, 12, 18),
                 attribute_classifier: dict = dict(type='TGANetAttributeClassifier'),
                 attribute_embedding: dict = dict(type='TGANetAttributeEmbedding'),
                 text_from: str = 'predicted',
                 loss_decode: Union[dict, Sequence[dict]] = (
                     dict(type='BinaryDiceLoss', per_image=False, smooth=1.0),
                     dict(type='CrossEntropyLoss', use_sigmoid=True, avg_non_ignore=True)),
                 loss_count: dict = dict(type='CrossEntropyLoss', avg_non_ignore=True,
                                         loss_name='loss_count'),
                 loss_size: dict = dict(type='CrossEntropyLoss', avg_non_ignore=True,
                                        loss_name='loss_size'),
                 attribute_loss_on_probs: bool = False,
                 num_classes: int = 2,
                 out_channels: int = 1,
                 threshold: float = 0.5,
                 align_corners: bool = True,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 input_transform: str = 'multiple_select',
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Union[dict, list, None] = None,
                 **kwargs) -> None:
        check_pyramid_transform('TGANetHead', input_transform)
        in_channels = [int(c) for c in in_channels]
        if len(in_channels) != 4 or len(in_index) != 4:
            raise ValueError(f'TGANetHead: needs four encoder maps (x_1..x_4), got '
                             f'in_channels {in_channels} and in_index {list(in_index)}')
        if out_channels != 1:
            raise ValueError(f'TGANetHead predicts one sigmoid channel, got out_channels='
                             f'{out_channels}')
        if text_from not in TEXT_SOURCES:
            raise ValueError(f'TGANetHead: text_from must be one of {TEXT_SOURCES}, got '
                             f'{text_from!r}')
        super().__init__(in_channels, channels, num_classes=num_classes,
                         out_channels=out_channels, threshold=threshold, dropout_ratio=0.0,
                         in_index=list(in_index), input_transform=input_transform,
                         conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg,
                         align_corners=align_corners, loss_decode=[], init_cfg=init_cfg,
                         **kwargs)
        # Losses from vlseg's registry (mmseg's build_loss cannot see vlseg's).
        self.loss_decode = build_loss_decode(
            list(loss_decode) if isinstance(loss_decode, tuple) else loss_decode)
        self.loss_count = MODELS.build(loss_count)
        self.loss_size = MODELS.build(loss_size)
        self.attribute_loss_on_probs = attribute_loss_on_probs
        self.text_from = text_from

        self.attribute_embedding = MODELS.build(attribute_embedding)
        classifier = dict(attribute_classifier)
        classifier.setdefault('in_channels', in_channels[-1])
        classifier.setdefault('num_classes', self.attribute_embedding.num_classes)
        self.attribute_classifier = MODELS.build(classifier)
        if tuple(self.attribute_classifier.num_classes) != self.attribute_embedding.num_classes:
            raise ValueError(f'TGANetHead: the classifier predicts '
                             f'{self.attribute_classifier.num_classes} classes, the embedding '
                             f'has words for {self.attribute_embedding.num_classes}')
        text_channels = self.attribute_embedding.out_channels

        layers = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.enhance = nn.ModuleList([
            TGANetFeatureEnhancement(c, channels, dilations, **layers) for c in in_channels])
        self.decoders = nn.ModuleList([
            TGANetDecoderBlock(channels, channels, channels, align_corners, **layers)
            for _ in range(3)])
        self.label_attentions = nn.ModuleList([
            TGANetLabelAttention(channels, text_channels) for _ in range(3)])
        if text_channels != channels:
            raise ValueError(f'TGANetHead: the text vector ({text_channels}) is summed with '
                             f'the label attentions\' outputs ({channels}): the embedding\'s '
                             'out_channels must equal channels')
        self.aggregation = TGANetFeatureAggregation([channels] * 3, channels, align_corners,
                                                    **layers)

    # ------------------------------------------------------------------ text
    def text_vector(self, count_logits: Tensor, size_logits: Tensor,
                    attributes: Optional[Tensor] = None) -> Tensor:
        """The text vector ``t`` from the attribute logits; where ``attributes`` (``(B,
        2)`` ground truth) is given and valid, its one-hot vectors replace the softmax."""
        count_probs, size_probs = count_logits.softmax(dim=1), size_logits.softmax(dim=1)
        if attributes is not None:
            count_probs = self._one_hot_where_valid(count_probs, attributes[:, 0])
            size_probs = self._one_hot_where_valid(size_probs, attributes[:, 1])
        return self.attribute_embedding(count_probs, size_probs)

    def _one_hot_where_valid(self, probs: Tensor, target: Tensor) -> Tensor:
        valid = (target != self.ignore_index) & (target >= 0) & (target < probs.shape[1])
        one_hot = torch.zeros_like(probs)
        one_hot[valid, target[valid].long()] = 1
        return torch.where(valid[:, None], one_hot, probs)

    # ------------------------------------------------------------------ forward
    def forward(self, inputs: Sequence[Tensor],
                attributes: Optional[Tensor] = None) -> tuple[Tensor, Tensor, Tensor]:
        """-> mask logits ``(B, 1, H/2, W/2)``, count ``(B, 2)`` and size ``(B, 3)``
        logits. ``attributes``: ground truth for ``text_from='ground_truth'``."""
        x1, x2, x3, x4 = select_maps(self, inputs)
        count_logits, size_logits = self.attribute_classifier(x4)
        text = self.text_vector(count_logits, size_logits, attributes)
        s1, s2, s3, s4 = (enhance(x) for enhance, x in zip(self.enhance, (x1, x2, x3, x4)))
        decoded, guidance = [], text
        for decoder, attention, skip in zip(self.decoders, self.label_attentions,
                                            (s3, s2, s1)):
            d = decoder(decoded[-1] if decoded else s4, skip)
            weights, y = attention(d, guidance)
            guidance = guidance + weights
            decoded.append(y)
        return self.cls_seg(self.aggregation(*decoded)), count_logits, size_logits

    def predict_attributes(self, inputs: Sequence[Tensor]) -> dict:
        """Text-free inference's attributes: ``count`` and ``size`` class indices
        ``(B,)``, their probabilities, and the ``text`` sentence per image."""
        *_, x4 = select_maps(self, inputs)
        count_logits, size_logits = self.attribute_classifier(x4)
        count = count_logits.argmax(dim=1)
        size = size_logits.argmax(dim=1)
        return dict(count=count, size=size, count_probs=count_logits.softmax(dim=1),
                    size_probs=size_logits.softmax(dim=1),
                    text=self.attribute_embedding.describe(count.tolist(), size.tolist()))

    # ------------------------------------------------------------------ training
    def loss(self, inputs: Sequence[Tensor], batch_data_samples: SampleList,
             train_cfg: dict) -> dict:
        attributes = (self._stack_attributes(batch_data_samples)
                      if self.text_from == 'ground_truth' else None)
        return self.loss_by_feat(self.forward(inputs, attributes), batch_data_samples)

    def loss_by_feat(self, seg_logits: Sequence[Tensor],
                     batch_data_samples: SampleList) -> dict:
        """Mask losses on the upsampled logits; CE on the count and size."""
        mask_logits, count_logits, size_logits = seg_logits
        label = self._stack_batch_gt(batch_data_samples)
        mask_logits = resize(mask_logits, size=label.shape[2:], mode='bilinear',
                             align_corners=self.align_corners, warning=False)
        label = label.squeeze(1)
        losses: dict[str, Tensor] = {}
        modules = (self.loss_decode if isinstance(self.loss_decode, nn.ModuleList)
                   else [self.loss_decode])
        for loss in modules:
            value = loss(mask_logits, label, ignore_index=self.ignore_index)
            losses[loss.loss_name] = losses.get(loss.loss_name, 0) + value
        attributes = self._stack_attributes(batch_data_samples)
        for name, logits, target, loss in (
                ('count', count_logits, attributes[:, 0], self.loss_count),
                ('size', size_logits, attributes[:, 1], self.loss_size)):
            scores = logits.softmax(dim=1) if self.attribute_loss_on_probs else logits
            losses[loss.loss_name] = loss(scores, target, ignore_index=self.ignore_index)
            with torch.no_grad():
                valid = target != self.ignore_index
                correct = (logits.argmax(dim=1)[valid] == target[valid]).float().sum()
                losses[f'acc_{name}'] = (correct * 100 / valid.sum().clamp(min=1)).reshape(1)
        with torch.no_grad():
            losses['acc_seg'] = binary_accuracy(mask_logits, label, self.threshold,
                                                self.ignore_index, self.align_corners)
        return losses

    def _stack_attributes(self, batch_data_samples: SampleList) -> Tensor:
        missing = [str(s.metainfo.get('img_path', f'sample {i} of the batch'))
                   for i, s in enumerate(batch_data_samples) if ATTRIBUTES_KEY not in s]
        if missing:
            raise KeyError(
                f'TGANetHead: no {ATTRIBUTES_KEY} for {", ".join(missing)}: add '
                'TGANetMaskAttributes to the training pipeline (after the mask is resized) '
                f"and PackTextSegInputs(text_fields=('{ATTRIBUTES_KEY}',))")
        return torch.stack([s.get(ATTRIBUTES_KEY) for s in batch_data_samples]).long()

    # ------------------------------------------------------------------ inference
    def predict_by_feat(self, seg_logits: Sequence[Tensor], batch_img_metas: list[dict]
                        ) -> Tensor:
        """The mask logits resized to the input (bilinear, ``align_corners``) as mmseg's
        ``BaseDecodeHead.predict_by_feat``; ``EncoderDecoder`` applies the sigmoid and the
        threshold."""
        meta = batch_img_metas[0]
        if isinstance(meta['img_shape'], torch.Size):  # slide inference
            size = meta['img_shape']
        else:
            size = meta.get('pad_shape', meta['img_shape'])[:2]
        return resize(seg_logits[0], size=size, mode='bilinear',
                      align_corners=self.align_corners, warning=False)
