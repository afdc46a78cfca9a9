#!/usr/bin/env bash
# The main job on the embedded default, from nothing: install, generate the synthetic
# chest X-rays, train the quick-start config, evaluate it on the test split and write
# overlay pictures of its predictions.
# Usage: bash tools/quickstart.sh [WORK_DIR]   (default work_dirs/quickstart)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK_DIR=${1:-work_dirs/quickstart}
CONFIG=configs/quickstart/unet_s4_synthetic_cxr_128x128.py

bash tools/install.sh
python tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
CHECKPOINT=$(ls -t "$WORK_DIR"/best_Dice_per_image_iter_*.pth | head -n 1)
python tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR/test" \
    --show-dir "$WORK_DIR/test/overlays" 2>&1 | tee "$WORK_DIR/test.log"
echo
echo "Test split of the SYNTHETIC dataset (not real data):"
grep -o "Dice_per_image: [0-9.]*.*IoU_pooled: [0-9.]*" "$WORK_DIR/test.log" | tail -n 1
echo "Checkpoint:  $CHECKPOINT"
echo "Overlays:    $WORK_DIR/test/overlays (prediction and reference side by side)"
