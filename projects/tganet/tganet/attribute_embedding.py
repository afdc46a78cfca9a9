"""TGANet's text: attribute-word embeddings weighted by the predicted attribute probabilities.

Tomar et al., "TGANet: Text-guided attention for improved polyp segmentation", MICCAI
2022 (method, architecture figure: text embeddings of the attribute words, weighted by the auxiliary
classifier's probabilities, "embedding feature fusion"). As the authors' code
(``nikhilroxtomar/TGANet``: ``utils.label_dictionary`` gives the words ``one, multiple,
small, medium, large``; ``text2embed.py`` embeds each with BPEmb, English, 100k
vocabulary, 300-d, the mean over its subwords; ``model.py`` ``embedding_feature_fusion``)::

    p = [softmax(count logits); softmax(size logits)]        (B, 5)
    t = ReLU(W_2 ReLU(W_1 vec(E * p)))                       E: (5, 300) word vectors

``vec(E * p)`` scales each word's vector by its probability and flattens them
(``5 * 300``); ``W_1``, ``W_2`` are bias-free 1x1 convs in the code, bias-free
``nn.Linear`` here (the same map), ``300 * 5 -> 128 -> 128``. ``t`` is the text vector
the label attention modules read.

Text embedding, our choice: BPEmb's vectors cannot be downloaded here, and they do not
matter to the model: ``W_1 vec(E * p) = sum_i p_i (W_1^(i) e_i)``, where ``W_1^(i)`` is
the block of ``W_1`` that sees word ``i``, so whatever the (non-zero) vectors ``e_i``, the
first layer can give each word any 128-d contribution; only the initialisation differs.
The table is therefore a fixed random one by default (a buffer drawn from ``N(0, 1)`` with
its own seed, so every run and process gets the same table, and it is saved in
checkpoints); ``embeddings_path`` loads real word vectors instead (e.g. the authors' BPEmb
vectors saved as a ``(5, 300)`` ``.npy``), and ``frozen=False`` makes the table learnable.
vlseg's ``HFTextEncoder`` is not used: a sentence encoder would only add a frozen
constant per word at many times the cost.

Where the text comes from: the authors' code weights the words with the *predicted*
probabilities at training as at inference (``forward(count_probs, size_probs)`` gets
softmaxes); the ground-truth attributes only supervise the classifier. ``TGANetHead``'s
``text_from='ground_truth'`` feeds one-hot ground-truth attributes instead at training
(teacher forcing, the reading "the text describes the target"): an option, not the
authors' setting. :meth:`describe` renders the attributes as a sentence, for inspection;
the model reads the weighted word vectors, never the sentence.
"""
from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

from vlseg.registry import MODELS


def load_word_vectors(path: str, shape: tuple[int, int]) -> Tensor:
    """A ``(words, dims)`` float table from a ``.npy`` or a torch file of one tensor."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'TGANetAttributeEmbedding: embeddings_path not found: {path}')
    if path.endswith('.npy'):
        table = torch.from_numpy(np.load(path)).float()
    else:
        table = torch.load(path, map_location='cpu', weights_only=True)
        if not isinstance(table, Tensor):
            raise TypeError(f'TGANetAttributeEmbedding: {path} must hold one tensor, got '
                            f'{type(table).__name__}')
        table = table.float()
    if tuple(table.shape) != shape:
        raise ValueError(f'TGANetAttributeEmbedding: {path} holds a table of shape '
                         f'{tuple(table.shape)}, expected {shape} (one row per word)')
    return table


@MODELS.register_module()
class TGANetAttributeEmbedding(nn.Module):
    """The text vector of TGANet from attribute probabilities (see the module docstring).

    Args:
        count_words: the count classes' words, in class order (``('one', 'multiple')``,
            the authors' ``label_dictionary``).
        size_words: the size classes' words (``('small', 'medium', 'large')``).
        embed_dims: width of a word vector (300: BPEmb's).
        out_channels: width of the text vector (128).
        embeddings_path: optional ``(len(words), embed_dims)`` table (``.npy``, or a torch
            file of one tensor), rows in the order ``count_words + size_words``.
        frozen: keep the table fixed (a buffer; the authors' vectors are constants) or
            learn it (a parameter).
        seed: seed of the random table (when no ``embeddings_path``).
        noun, noun_plural, template: how :meth:`describe` words the attributes, e.g.
            ``'one small sized polyp'``, ``'multiple large sized polyps'``.
    """

    def __init__(self, count_words: Sequence[str] = ('one', 'multiple'),
                 size_words: Sequence[str] = ('small', 'medium', 'large'),
                 embed_dims: int = 300, out_channels: int = 128,
                 embeddings_path: Optional[str] = None, frozen: bool = True, seed: int = 0,
                 noun: str = 'polyp', noun_plural: str = 'polyps',
                 template: str = '{count} {size} sized {noun}') -> None:
        super().__init__()
        self.count_words = tuple(count_words)
        self.size_words = tuple(size_words)
        self.words = self.count_words + self.size_words
        self.embed_dims = embed_dims
        self.out_channels = out_channels
        self.noun, self.noun_plural, self.template = noun, noun_plural, template
        shape = (len(self.words), embed_dims)
        if embeddings_path is not None:
            table = load_word_vectors(embeddings_path, shape)
        else:
            table = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        if frozen:
            self.register_buffer('word_vectors', table)
        else:
            self.word_vectors = nn.Parameter(table)
        self.fusion = nn.Sequential(
            nn.Linear(len(self.words) * embed_dims, out_channels, bias=False), nn.ReLU(),
            nn.Linear(out_channels, out_channels, bias=False), nn.ReLU())

    @property
    def num_classes(self) -> tuple[int, int]:
        """Classes of (count, size)."""
        return len(self.count_words), len(self.size_words)

    def forward(self, count_probs: Tensor, size_probs: Tensor) -> Tensor:
        """Probabilities ``(B, 2)`` and ``(B, 3)`` (rows summing to 1) -> text ``(B, C)``."""
        probs = torch.cat([count_probs, size_probs], dim=1)
        if probs.dim() != 2 or probs.shape[1] != len(self.words):
            raise ValueError(f'TGANetAttributeEmbedding: expected probabilities of '
                             f'{self.num_classes} classes, got {tuple(count_probs.shape)} and '
                             f'{tuple(size_probs.shape)}')
        weighted = self.word_vectors.to(probs.dtype)[None] * probs[:, :, None]
        return self.fusion(weighted.flatten(1))

    def describe(self, count: Sequence[int], size: Sequence[int]) -> list[str]:
        """Sentences of class indices, e.g. ``describe([0], [2]) == ['one large sized
        polyp']`` (our wording; the authors never write a sentence)."""
        sentences = []
        for count_index, size_index in zip(count, size):
            count_index, size_index = int(count_index), int(size_index)
            noun = self.noun if count_index == 0 else self.noun_plural
            sentences.append(self.template.format(count=self.count_words[count_index],
                                                  size=self.size_words[size_index],
                                                  noun=noun))
        return sentences
