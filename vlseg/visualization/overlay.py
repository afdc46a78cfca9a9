"""Overlay pictures of predicted (and reference) lesion masks on images."""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

PREDICTION_BGR = (0, 0, 255)
REFERENCE_BGR = (0, 255, 0)


def overlay_mask(image: np.ndarray, mask: np.ndarray, reference: Optional[np.ndarray] = None,
                 alpha: float = 0.4) -> np.ndarray:
    """Tint predicted lesion pixels red and outline them; outline the reference in green.

    Args:
        image: HxW or HxWx3 uint8 (BGR) image.
        mask: HxW predicted mask, non-zero = lesion; resized to the image if needed.
        reference: optional HxW ground-truth mask, drawn as a green contour.
        alpha: opacity of the red tint.
    Returns:
        HxWx3 uint8 BGR picture.
    """
    canvas = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    canvas = canvas[..., :3].astype(np.float32).copy()
    height, width = canvas.shape[:2]

    def fit(binary: np.ndarray) -> np.ndarray:
        binary = (binary > 0).astype(np.uint8)
        if binary.shape != (height, width):
            binary = cv2.resize(binary, (width, height), interpolation=cv2.INTER_NEAREST)
        return binary

    predicted = fit(mask)
    tint = np.array(PREDICTION_BGR, np.float32)
    canvas[predicted > 0] = (1 - alpha) * canvas[predicted > 0] + alpha * tint
    canvas = canvas.clip(0, 255).astype(np.uint8)
    contours, _ = cv2.findContours(predicted, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(canvas, contours, -1, PREDICTION_BGR, 1)
    if reference is not None:
        contours, _ = cv2.findContours(fit(reference), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(canvas, contours, -1, REFERENCE_BGR, 1)
    return canvas
