"""Preflight: check every record of a dataset before training, and report all problems.

A wrong-size mask or a caption the parser cannot read otherwise surfaces only when
the training loop reaches that sample, which on a large dataset can be hours into a
run. :func:`check_dataset` looks at every record once, cheaply, and returns every
problem, each naming its file:

- the image and the mask exist and can be read, their sizes taken from the file
  header where PIL knows the format (PNG, JPEG, BMP, TIFF...; nothing is decoded),
  else by decoding with OpenCV as the loading transforms do; ``decode=True`` decodes
  every file (slower; it also finds files truncated after a valid header);
- the mask has the size of its image (``LoadBinaryMask`` refuses any other); NIfTI
  volumes are read from their headers with nibabel, and a mask must have its volume's
  shape and affine (``LoadNiftiMask``);
- every caption is read by each component that parses captions (a *caption checker*:
  anything with ``check_caption(caption, source)`` that raises on a caption it cannot
  use, e.g. ``CaptionToLocationLabels`` in the pipeline, C2FVL's
  ``LesionVectorEncoder`` in the model, ``LocationReportMetric`` in the evaluator).

:class:`vlseg.engine.hooks.DataPreflightHook` runs it on the training and
validation sets before the first iteration (and on the test set before a test);
``tools/misc/check_dataset.py CONFIG`` runs it alone.
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from .transforms.loading import read_image
from .transforms.volume import is_nifti


@dataclass(frozen=True)
class DataProblem:
    """One problem of one record: the file it is about and what is wrong."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f'{self.file}: {self.reason}'


class DatasetCheckError(ValueError):
    """A dataset failed its preflight check; ``problems`` lists every problem found."""

    #: Problems written into the message; the rest are counted (all are in ``problems``).
    max_listed = 50

    def __init__(self, what: str, problems: Sequence[DataProblem]) -> None:
        self.problems = list(problems)
        lines = [f'  {problem}' for problem in self.problems[:self.max_listed]]
        if len(self.problems) > self.max_listed:
            lines.append(f'  ... and {len(self.problems) - self.max_listed} more')
        super().__init__(
            f'{what}: {len(self.problems)} problem(s) found before the run, fix them (or '
            'set data_preflight=False in the config to skip this check):\n' + '\n'.join(lines))


def image_size(path: str, decode: bool = False) -> tuple[int, int]:
    """``(width, height)`` of an image file, from its header when PIL reads the format.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file cannot be read as an image.
    """
    if not osp.isfile(path):
        raise FileNotFoundError('file not found')
    if not decode:
        try:
            with Image.open(path) as image:
                return image.size
        except (UnidentifiedImageError, OSError, SyntaxError):
            pass  # a format PIL does not know, or a bad header: OpenCV decides below
    height, width = read_image(path, cv2.IMREAD_UNCHANGED).shape[:2]
    return width, height


def volume_geometry(path: str, decode: bool = False) -> tuple[tuple[int, ...], np.ndarray]:
    """``(shape, affine)`` of a NIfTI volume from its header (``decode``: read the voxels).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not readable as NIfTI.
    """
    import nibabel as nib

    if not osp.isfile(path):
        raise FileNotFoundError('file not found')
    try:
        image = nib.load(path)
        if decode:
            np.asanyarray(image.dataobj)
    except Exception as error:  # noqa: BLE001 - nibabel's many failure types, one message
        raise ValueError(f'not readable as NIfTI: {error}') from None
    shape = tuple(int(s) for s in image.shape)
    if len(shape) == 4 and shape[3] == 1:  # as LoadNiftiVolume reads it
        shape = shape[:3]
    if len(shape) != 3:
        raise ValueError(f'has shape {shape}; expected a 3D volume')
    return shape, np.asarray(image.affine)


def caption_checkers(components: Iterable[Any]) -> list[Any]:
    """The components among ``components`` that parse captions (``check_caption``)."""
    return [c for c in components if callable(getattr(c, 'check_caption', None))]


def _file_problem(path: str, what: str, decode: bool) -> tuple[Optional[tuple],
                                                                Optional[DataProblem]]:
    """``(geometry, problem)``: ``(width, height)`` of an image, ``(shape, affine)`` of a
    NIfTI volume; ``geometry`` is ``None`` when there is a problem."""
    try:
        if is_nifti(path):
            return volume_geometry(path, decode), None
        return image_size(path, decode), None
    except FileNotFoundError:
        return None, DataProblem(path, f'{what} not found')
    except (ValueError, OSError) as error:  # undecodable, or unreadable (permissions)
        return None, DataProblem(path, f'{what} cannot be read: {error}')


def _mismatch(mask_path: str, mask: tuple, img_path: str, image: tuple
              ) -> Optional[DataProblem]:
    """The problem of a mask whose geometry differs from its image's, if it does."""
    if is_nifti(img_path) != is_nifti(mask_path):
        return DataProblem(mask_path, f'mask and its image {img_path} are not both NIfTI '
                                      'volumes')
    if is_nifti(img_path):
        (mask_shape, mask_affine), (shape, affine) = mask, image
        if mask_shape != shape:
            return DataProblem(mask_path, f'mask has shape {mask_shape} but its volume '
                                          f'{img_path} has {shape}')
        if not np.allclose(mask_affine, affine, atol=1e-3):
            return DataProblem(mask_path, f'mask and its volume {img_path} have different '
                                          'affines (voxel-to-world maps)')
        return None
    if mask != image:
        return DataProblem(mask_path, f'mask is {mask[0]}x{mask[1]} (WxH) but its image '
                                      f'{img_path} is {image[0]}x{image[1]}')
    return None


def check_records(records: Iterable[dict], checkers: Sequence[Any] = (),
                  decode: bool = False) -> list[DataProblem]:
    """Every problem of ``records`` (dicts with ``img_path``, ``seg_map_path``, ``text``).

    Args:
        records: the dataset's data list.
        checkers: caption checkers (:func:`caption_checkers`); each reads every caption.
        decode: decode every image and mask instead of reading headers.
    """
    problems: list[DataProblem] = []
    for record in records:
        img_path = str(record.get('img_path', ''))
        img_size, problem = _file_problem(img_path, 'image', decode)
        if problem:
            problems.append(problem)
        mask_path = record.get('seg_map_path')
        if mask_path:
            mask_size, problem = _file_problem(str(mask_path), 'mask', decode)
            if problem:
                problems.append(problem)
            elif img_size is not None:
                problem = _mismatch(str(mask_path), mask_size, img_path, img_size)
                if problem:
                    problems.append(problem)
        caption = record.get('text', '') or ''
        for checker in checkers:
            try:
                checker.check_caption(caption, img_path)
            except ValueError as error:  # CaptionParseError is a ValueError
                problems.append(DataProblem(
                    img_path, f'caption {caption!r} is not usable by '
                    f'{type(checker).__name__}: {error}'))
    return problems


def dataset_parts(dataset: Any) -> list[Any]:
    """The datasets inside mmengine's wrappers (Concat, Repeat, ClassBalanced)."""
    if hasattr(dataset, 'datasets'):
        return [part for inner in dataset.datasets for part in dataset_parts(inner)]
    if hasattr(dataset, 'dataset') and not hasattr(dataset, 'data_list'):
        return dataset_parts(dataset.dataset)
    return [dataset]


def check_dataset(dataset: Any, checkers: Sequence[Any] = (), decode: bool = False
                  ) -> list[DataProblem]:
    """Every problem of every record of ``dataset`` (wrappers unwrapped).

    The caption checkers are ``checkers`` plus those of each dataset's pipeline.
    """
    problems: list[DataProblem] = []
    for part in dataset_parts(dataset):
        if hasattr(part, 'full_init'):
            part.full_init()
        pipeline = getattr(getattr(part, 'pipeline', None), 'transforms', [])
        part_checkers = list(checkers) + caption_checkers(pipeline)
        records = [part.get_data_info(index) for index in range(len(part))]
        problems += check_records(records, part_checkers, decode)
    return problems


def count_records(dataset: Any) -> int:
    """Records of the datasets inside the wrappers (a RepeatDataset counts its dataset once)."""
    return sum(len(part) for part in dataset_parts(dataset))


def describe(dataset: Any) -> str:
    """``QaTaCOV19Dataset(split train, data_root X)`` for messages."""
    part = dataset_parts(dataset)[0]
    details = [f'split {part.split}' if hasattr(part, 'split') else '',
               f'data_root {part.data_root}' if getattr(part, 'data_root', None) else '']
    return f'{type(part).__name__}({", ".join(d for d in details if d)})'
