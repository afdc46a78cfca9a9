"""Say what a checkpoint file is before loading it, and find the newest one that loads.

``torch.load`` on a file that is not a checkpoint fails with the unpickler's own words
(``KeyError: 101`` for a PNG); a truncated checkpoint fails deep inside the zip reader.
:func:`inspect_checkpoint` checks the file before anything loads it (its first bytes,
the zip directory, every member's CRC, which reads the file once, and the pickled
structure with the tensors mapped, not loaded: ``mmap``) and raises
:class:`CheckpointError` naming the file and saying what it is not. URLs are left to
mmengine.
:func:`find_resumable_checkpoint` is ``--resume`` without a path: the newest
``iter_N.pth`` / ``epoch_N.pth`` of a work dir that passes, with the ones skipped and why.
"""
from __future__ import annotations

import os
import os.path as osp
import re
import zipfile
from typing import Any

import torch

#: What mmengine needs to resume a run (``Runner.resume``).
RESUME_KEYS = ('state_dict', 'optimizer', 'meta')

_MAGIC = (
    (b'\x89PNG', 'a PNG image'), (b'\xff\xd8\xff', 'a JPEG image'), (b'GIF8', 'a GIF image'),
    (b'BM', 'a BMP image'), (b'\x1f\x8b', 'a gzip archive'), (b'%PDF', 'a PDF document'),
    (b'\x89HDF', 'an HDF5 file'), (b'\x93NUMPY', 'a NumPy .npy array'),
)
_ZIP_START = b'PK\x03\x04'
_CHECKPOINT_NAME = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


class CheckpointError(ValueError):
    """A file that cannot serve as the checkpoint asked for; the message names it."""


def _kind_of(head: bytes) -> str:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    try:
        head.decode('utf-8')
        return 'a text file'
    except UnicodeDecodeError:
        return 'an unknown binary file'


def inspect_checkpoint(path: str, resume: bool = False) -> dict[str, Any]:
    """Check that ``path`` is a complete PyTorch checkpoint and return it, tensors mapped
    lazily from the file (``mmap``), not read.

    Args:
        path: the file.
        resume: also require what resuming needs (``state_dict``, ``optimizer``, ``meta``).

    Raises:
        CheckpointError: no such file, an empty, truncated or corrupt file, a file of
            another kind (image, text...), or a checkpoint without the needed entries.
    """
    if '://' in str(path):
        return {}  # a URL (https://, s3://...): mmengine fetches it; nothing local to inspect
    if not osp.isfile(path):
        raise CheckpointError(f'{path}: no such checkpoint file')
    size = osp.getsize(path)
    if size == 0:
        raise CheckpointError(f'{path} is not a checkpoint: the file is empty (0 bytes)')
    with open(path, 'rb') as file:
        head = file.read(16)
    if not zipfile.is_zipfile(path):
        if head.startswith(_ZIP_START):
            raise CheckpointError(
                f'{path} is not a complete checkpoint: it starts as a PyTorch zip archive '
                f'but its end is missing ({size} bytes; truncated, e.g. by a crash while it '
                'was written)')
        if head[:1] == b'\x80':
            raise CheckpointError(f'{path} is a pickle in the legacy (pre-1.6) torch format; '
                                  'load and re-save it with torch.save first')
        raise CheckpointError(f'{path} is not a PyTorch checkpoint (a torch.save file): it '
                              f'is {_kind_of(head)}')
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise CheckpointError(f'{path} is not a complete checkpoint: {error}') from None
    if broken is not None:
        raise CheckpointError(f'{path} is a corrupt checkpoint: archive member {broken} '
                              'fails its checksum')
    try:
        checkpoint = torch.load(path, map_location='cpu', mmap=True, weights_only=True)
    except Exception as error:  # noqa: BLE001 - the reader's own words, with the file name
        raise CheckpointError(f'{path} is a zip archive but not a PyTorch checkpoint: '
                              f'{type(error).__name__}: {error}') from None
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'{path} holds a {type(checkpoint).__name__}, not a checkpoint '
                              '(a dict with a state_dict, or a state dict)')
    if resume:
        missing = [key for key in RESUME_KEYS if key not in checkpoint]
        if missing:
            raise CheckpointError(f'{path} cannot resume a run: it has no {", ".join(missing)} '
                                  '(weights only, e.g. a best_*.pth; use it with load_from)')
    return checkpoint


def _step(name: str) -> int:
    return int(_CHECKPOINT_NAME.match(name).group(2))


def find_resumable_checkpoint(work_dir: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The newest ``iter_N.pth`` / ``epoch_N.pth`` of ``work_dir`` that can resume a run.

    Returns:
        ``(path or None, skipped)`` where ``skipped`` lists ``(path, reason)`` for each
        newer checkpoint that failed :func:`inspect_checkpoint`.
    """
    if not osp.isdir(work_dir):
        return None, []
    names = sorted((name for name in os.listdir(work_dir) if _CHECKPOINT_NAME.match(name)),
                   key=_step, reverse=True)
    skipped = []
    for name in names:
        path = osp.join(work_dir, name)
        try:
            inspect_checkpoint(path, resume=True)
        except CheckpointError as error:
            skipped.append((path, str(error)))
            continue
        return path, skipped
    return None, skipped
