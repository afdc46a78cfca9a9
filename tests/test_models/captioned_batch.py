"""A batch of tiny captioned images run through the text-carrying pipeline, for model tests."""
from pathlib import Path

import cv2
import numpy as np

from vlseg.datasets.transforms import LoadBinaryMask, LoadMedicalImageFromFile, PackTextSegInputs


def captioned_batch(folder: Path, captions, text_steps=(), size: int = 32) -> dict:
    """``dict(inputs, data_samples)``: one ``size`` x ``size`` image (grey level 40 i + 20)
    and mask (a square at an eighth to three eighths of the side) per caption, loaded,
    passed through ``text_steps`` (e.g. ``CaptionToLocationLabels``) and packed."""
    steps = [LoadMedicalImageFromFile(), LoadBinaryMask(), *text_steps, PackTextSegInputs()]
    inputs, samples = [], []
    for index, caption in enumerate(captions):
        cv2.imwrite(str(folder / f'{index}.png'),
                    np.full((size, size), 40 * index + 20, np.uint8))
        mask = np.zeros((size, size), np.uint8)
        mask[size // 8:size * 3 // 8, size // 8:size * 3 // 8] = 255
        cv2.imwrite(str(folder / f'm{index}.png'), mask)
        results = dict(img_path=str(folder / f'{index}.png'),
                       seg_map_path=str(folder / f'm{index}.png'), text=caption)
        for step in steps:
            results = step(results)
        inputs.append(results['inputs'])
        samples.append(results['data_samples'])
    return dict(inputs=inputs, data_samples=samples)
