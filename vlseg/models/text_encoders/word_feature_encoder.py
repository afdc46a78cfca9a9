"""LViT's text source: one feature per word of the caption, from a BERT-family model.

Li et al., "LViT: Language meets Vision Transformer in Medical Image Segmentation",
IEEE TMI 2023; authors' code ``HUANGLIZI/LViT`` ``Load_Dataset.py`` (the
``bert_embedding`` package: BERT-base uncased, 768-d, one vector per word with its
word pieces averaged, [CLS]/[SEP] dropped, the first 10 words kept). C2FVL's LViT
baseline uses the same text.

The model is loaded as for ``HFTextEncoder`` (their shared base
``BaseHFTextEncoder``: a local folder, never downloaded; ``None`` takes the embedded
all-MiniLM-L6-v2, 384-d; the paper's setting is a local copy of
``bert-base-uncased``), and a frozen encoder caches its outputs per caption in the
same ``CaptionCache``. The captions are tokenised here with the folder's (fast)
tokenizer: its word ids say which word pieces form a word (BERT's pre-tokeniser
splits on spaces and punctuation, so "," and "." are words, as in
``bert_embedding``). The word-piece features (the last hidden state, or the mean of
``hidden_layers``) of each word are averaged; special tokens are dropped; the first
``num_words`` words are kept.

Where this differs from the authors' code: a caption with fewer than ``num_words``
words is padded with zero vectors (``mask`` 0); the authors append the filler words
"EOF XXX" to captions of fewer than 9 words and embed them. QaTa-COV19 and
MosMedData+ captions have at least 10 words with punctuation, so only the
text-free caption ``''`` (all zeros) is padded. The encoder is a PyTorch BERT from a
local folder instead of the MXNet ``bert_embedding`` package.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
from torch import Tensor

from vlseg.registry import MODELS

from .hf_text_encoder import BaseHFTextEncoder


@MODELS.register_module()
class WordFeatureEncoder(BaseHFTextEncoder):
    """Per-word features ``{'tokens': (B, num_words, C), 'mask', 'pooled'}`` of the captions.

    Args:
        model_path: local model folder (as ``HFTextEncoder``); ``None`` takes the
            embedded all-MiniLM-L6-v2. It must ship a fast tokenizer (``tokenizer.json``).
        num_words: words kept per caption (10 as LViT).
        frozen: no gradients (LViT's text features are fixed); enables the cache.
        hidden_layers: hidden states averaged into the word-piece features (``-1``: the
            last layer, as ``bert_embedding``).
        max_length: word pieces per caption (with [CLS]/[SEP]) the tokenizer keeps.
        cache_size: captions the cache of a frozen encoder holds (least recently used
            ones go first); ``0`` disables it. An entry is ``(words, mask, pooled)``.
        trust_remote_code, init_cfg: as ``HFTextEncoder``.

    ``forward`` reads the caption strings (word boundaries come from the tokenizer's
    word ids). ``pooled`` is the mean of the kept words (zeros for ``''``).
    """

    def __init__(self,
                 model_path: Optional[str] = None,
                 num_words: int = 10,
                 frozen: bool = True,
                 hidden_layers: Union[int, Sequence[int]] = -1,
                 max_length: int = 32,
                 cache_size: int = 4096,
                 trust_remote_code: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        if num_words < 1:
            raise ValueError(f'WordFeatureEncoder: num_words must be positive, got {num_words}')
        super().__init__(model_path=model_path, frozen=frozen, hidden_layers=hidden_layers,
                         max_length=max_length, cache_size=cache_size,
                         trust_remote_code=trust_remote_code, init_cfg=init_cfg)
        self.num_words = int(num_words)

    @property
    def text_length(self) -> int:
        """Words per caption, ``num_words`` (``vlseg.models.interfaces``)."""
        return self.num_words

    def word_features(self, captions: Sequence[str]) -> tuple[Tensor, Tensor, Tensor]:
        """Words ``(B, num_words, C)``, mask ``(B, num_words)`` (int64) and pooled ``(B, C)``."""
        tokenizer = self.tokenizer
        if not tokenizer.is_fast:
            raise TypeError(f'WordFeatureEncoder needs a fast tokenizer (tokenizer.json) in '
                            f'{self.model_path}: word boundaries come from its word ids')
        encoded = tokenizer(list(captions), padding=True, truncation=True,
                            max_length=self.max_length, return_tensors='pt')
        device = self._device()
        pieces = self._encode(encoded['input_ids'].to(device),
                              encoded['attention_mask'].to(device))      # (B, L, C)
        # assign[b, w, l] = 1 when word piece l of caption b belongs to word w; filled on
        # the CPU and moved once (element writes on a GPU would each be a kernel launch).
        assign = torch.zeros(len(captions), self.num_words, pieces.shape[1])
        for row in range(len(captions)):
            for piece, word in enumerate(encoded.word_ids(row)):
                if word is not None and word < self.num_words:
                    assign[row, word, piece] = 1.0
        assign = assign.to(device=device, dtype=pieces.dtype)
        counts = assign.sum(-1, keepdim=True)
        words = assign @ pieces / counts.clamp_min(1.0)
        mask = counts[..., 0] > 0
        pooled = words.sum(1) / mask.sum(1, keepdim=True).clamp_min(1)
        return words, mask.long(), pooled

    def forward(self, captions: Sequence[str]) -> dict[str, Tensor]:
        """Encode the ``B`` raw captions (``''`` for text-free samples).

        Returns:
            dict with ``tokens`` ``(B, num_words, C)``, ``mask`` ``(B, num_words)`` and
            ``pooled`` ``(B, C)``.
        """
        if captions is None or isinstance(captions, str):
            raise TypeError('WordFeatureEncoder: give captions, a sequence of strings')
        captions = [str(c) for c in captions]
        if not self.frozen:
            words, mask, pooled = self.word_features(captions)
        elif not self.caching:
            with torch.no_grad():
                words, mask, pooled = self.word_features(captions)
        else:
            words, mask, pooled = self._cached_word_features(captions)
        return dict(tokens=words, mask=mask, pooled=pooled)

    def _cached_word_features(self, captions: list[str]) -> tuple[Tensor, Tensor, Tensor]:
        """``word_features`` of the captions, each distinct missing caption computed once."""
        cache = self._cache
        missing = list(dict.fromkeys(c for c in captions if c not in cache))
        if missing:
            with torch.no_grad():
                computed = self.word_features(missing)
            cache.misses += len(missing)
            for k, caption in enumerate(missing):
                cache.put(caption, tuple(t[k].detach() for t in computed))
        cache.hits += len(captions) - len(missing)
        device = self._device()
        rows = []
        for caption in captions:
            rows.append(cache.fetch(caption, device))
            cache.touch(caption)
        cache.evict()  # after the batch's rows are taken, so none is evicted before use
        return tuple(torch.stack([row[i] for row in rows]) for i in range(3))

    def extra_repr(self) -> str:
        return (f'model_path={self.model_path!r}, frozen={self.frozen}, '
                f'hidden_layers={self.hidden_layers}, num_words={self.num_words}, '
                f'out_channels={self.out_channels}')
