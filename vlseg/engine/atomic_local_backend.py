"""Checkpoint files written whole or not at all: a temporary file renamed into place.

mmengine's ``LocalBackend.put`` opens the final path and writes into it, so a process
killed during a checkpoint write leaves a truncated file under the checkpoint's name,
and ``--resume`` then finds nothing it can load. ``AtomicLocalBackend`` writes to a
hidden temporary file beside the target (``.NAME.partial``), flushes it to disk and
renames it over the target (``os.replace``, atomic on POSIX and Windows), so the
final name always holds a complete file. The tools give it to ``CheckpointHook``
(``backend_args=dict(backend='atomic_local')``, ``vlseg.utils.load_run_config``).
The hook's small ``last_checkpoint`` pointer is written by mmengine directly; ``--resume``
does not trust it (``vlseg.engine.find_resumable_checkpoint`` inspects the files).
"""
from __future__ import annotations

import os
import os.path as osp
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

#: Suffix of the temporary file a checkpoint is written to before its rename.
PARTIAL_SUFFIX = '.partial'


def partial_path(filepath: Union[str, Path]) -> str:
    """Where ``filepath`` is written before it is renamed into place."""
    folder, name = osp.split(str(filepath))
    return osp.join(folder, f'.{name}{PARTIAL_SUFFIX}')


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` whose ``put`` never leaves a partial file under the final name."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        folder = osp.dirname(str(filepath))
        if folder:
            os.makedirs(folder, exist_ok=True)
        temporary = partial_path(filepath)
        try:
            with open(temporary, 'wb') as file:
                file.write(obj)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, filepath)
        except BaseException:
            if osp.exists(temporary):
                os.remove(temporary)
            raise
