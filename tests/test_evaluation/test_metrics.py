"""LesionMetric and InfNetMetric through process / compute_metrics."""
import numpy as np
import pytest
import torch

from vlseg.evaluation import InfNetMetric, LesionMetric
from vlseg.evaluation.functional import (
    mae,
    minmax_normalise,
    s_measure,
    threshold_curves,
)
from vlseg.registry import METRICS


def _sample(gt, pred=None, logits=None, name='x.png'):
    """A SegDataSample.to_dict()-like dict."""
    gt = torch.as_tensor(np.asarray(gt), dtype=torch.uint8)[None]
    s = {'gt_sem_seg': {'data': gt}, 'img_path': name}
    if pred is not None:
        s['pred_sem_seg'] = {'data': torch.as_tensor(np.asarray(pred), dtype=torch.int64)[None]}
    if logits is not None:
        s['seg_logits'] = {'data': torch.as_tensor(np.asarray(logits), dtype=torch.float32)}
    return s


def _run(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_lesion_metric_per_image_vs_pooled_by_hand():
    # Image A: gt 1 1 0   pred 1 0 0   TP 1 FP 1 FN 1 TN 3
    #             0 0 0        0 0 1
    #   Dice 2/4 = .5, IoU 1/3, Acc 4/6, Sen 1/2, Spec 3/4
    # Image B: gt 1 1 1   pred 1 1 1   TP 3 FP 0 FN 1 TN 2
    #             1 0 0        0 0 0
    #   Dice 6/7, IoU 3/4, Acc 5/6, Sen 3/4, Spec 2/2 = 1
    a = _sample([[1, 1, 0], [0, 0, 0]], pred=[[1, 0, 0], [0, 0, 1]], name='a.png')
    b = _sample([[1, 1, 1], [1, 0, 0]], pred=[[1, 1, 1], [0, 0, 0]], name='b.png')
    res = _run(LesionMetric(), [a, b])
    # per image: Dice (.5 + 6/7)/2 = .678571 -> 67.86; IoU (1/3 + 3/4)/2 = .541667 -> 54.17
    #   Acc (4/6 + 5/6)/2 = .75; Sen (.5 + .75)/2 = .625; Spec (.75 + 1)/2 = .875
    # pooled: TP 4 FP 1 FN 2 TN 5 -> Dice 8/11 = 72.73, IoU 4/7 = 57.14, Acc 9/12 = 75,
    #   Sen 4/6 = 66.67, Spec 5/6 = 83.33
    assert res == {
        'Dice_per_image': 67.86, 'Dice_pooled': 72.73,
        'IoU_per_image': 54.17, 'IoU_pooled': 57.14,
        'Acc_per_image': 75.0, 'Acc_pooled': 75.0,
        'Sen_per_image': 62.5, 'Sen_pooled': 66.67,
        'Spec_per_image': 87.5, 'Spec_pooled': 83.33,
    }
    assert len(LesionMetric().results) == 0
    m = LesionMetric()
    m.process({}, [a, b])
    assert m.results == [(1, 1, 1, 3), (3, 0, 1, 2)]  # only the counts are kept


def test_lesion_metric_empty_gt_and_ignore():
    # Image A: empty gt, empty pred -> Dice = IoU = Sen = 1 (0/0 convention).
    # Image B: empty gt, 1 predicted pixel of 4 -> Dice = IoU = 0, Sen = 1 (0/0).
    # Image C: gt 1 255 / 0 1, pred 1 1 / 1 1: the 255 pixel is dropped ->
    #          TP 2 FP 1 FN 0 TN 0: Dice 4/5, IoU 2/3, Sen 1.
    a = _sample(np.zeros((2, 2)), pred=np.zeros((2, 2)))
    b = _sample(np.zeros((2, 2)), pred=[[0, 1], [0, 0]])
    c = _sample([[1, 255], [0, 1]], pred=np.ones((2, 2)))
    res = _run(LesionMetric(metrics=['Dice', 'IoU', 'Sen']), [a, b, c])
    assert res['Dice_per_image'] == round((1 + 0 + 0.8) / 3 * 100, 2)  # 60.0
    assert res['IoU_per_image'] == round((1 + 0 + 2 / 3) / 3 * 100, 2)  # 55.56
    assert res['Sen_per_image'] == 100.0
    # pooled: TP 2 FP 2 FN 0 -> Dice 4/6, IoU 2/4, Sen 1
    assert res['Dice_pooled'] == 66.67
    assert res['IoU_pooled'] == 50.0
    assert res['Sen_pooled'] == 100.0
    assert set(res) == {f'{m}_{k}' for m in ('Dice', 'IoU', 'Sen')
                        for k in ('per_image', 'pooled')}


def test_lesion_metric_registry_and_bad_name():
    m = METRICS.build({'type': 'LesionMetric', 'metrics': 'Dice', 'prefix': 'val'})
    assert isinstance(m, LesionMetric) and m.metrics == ['Dice']
    assert isinstance(METRICS.build({'type': 'InfNetMetric'}), InfNetMetric)
    with pytest.raises(KeyError):
        LesionMetric(metrics=['mDice'])


def test_lesion_metric_evaluate_adds_prefix():
    m = LesionMetric(metrics=['Dice'], prefix='test')
    m.process({}, [_sample([[1, 0]], pred=[[1, 0]])])
    assert m.evaluate(1) == {'test/Dice_per_image': 100.0, 'test/Dice_pooled': 100.0}


def test_infnet_metric_perfect_map_by_hand():
    # P = GT (4 x 4, 4 foreground pixels), already in [0, 1]: min-max leaves it.
    gt = np.zeros((4, 4))
    gt[1:3, 1:3] = 1
    res = _run(InfNetMetric(), [_sample(gt, logits=gt[None])])
    # t = 0 selects all 16 pixels: Dice 2*4 / (4 + 16) = .4, Sen 1, Spec 0,
    #   E: FM all 1 -> phi_FM = 0 -> xi = 0 -> phi = 1/4 everywhere -> .25.
    # t in (0, 1] (255 thresholds) selects exactly GT: Dice = Sen = Spec = E = 1.
    assert res['Dice'] == pytest.approx((0.4 + 255) / 256)
    assert res['Sen'] == pytest.approx(1.0)
    assert res['Spec'] == pytest.approx(255 / 256)
    assert res['E-measure'] == pytest.approx((0.25 + 255) / 256)
    assert res['E-measure_max'] == pytest.approx(1.0)
    assert res['S-measure'] == pytest.approx(1.0)
    assert res['MAE'] == 0.0
    # MATLAB tool: E-measure uses P > t and divides by N - 1 = 15:
    #   t = 0 -> P > 0 = GT -> 16/15; t = 1 -> nothing -> 16 * .25 / 15 = 4/15.
    res = _run(InfNetMetric(code_compat=True), [_sample(gt, logits=gt[None])])
    assert res['E-measure'] == pytest.approx((255 * 16 / 15 + 4 / 15) / 256)
    assert res['Spec'] == pytest.approx(255 / 256)  # TP > 0 at every threshold


def test_infnet_metric_reports_the_tools_specificity_beside_the_textbook_one():
    """Inf-Net's MATLAB tool (Fmeasure_calu.m), which made the seed's Table 2, sets Spec = 0
    at every threshold where TP = 0; Spec stays TN / (TN + FP), Spec_tool is the tool's."""
    gt = np.array([[1, 0], [0, 0]])
    prob = np.array([[0.0, 1.0], [0.0, 0.0]])  # the lesion pixel gets the lowest score
    # t = 0: all four positive -> TP 1, FP 3, TN 0: Spec 0 (both conventions).
    # t in (0, 1] (255 thresholds): only pixel (0, 1) -> TP 0, FP 1, TN 2: Spec 2/3,
    #   the tool's 0.
    for compat in (False, True):
        res = _run(InfNetMetric(code_compat=compat), [_sample(gt, logits=prob[None])])
        assert res['Spec_tool'] == 0.0
    assert _run(InfNetMetric(), [_sample(gt, logits=prob[None])])['Spec'] == pytest.approx(
        255 * (2 / 3) / 256)


def test_infnet_metric_sigmoid_and_softmax_inputs_agree():
    rng = np.random.default_rng(3)
    gts = [(rng.random((6, 7)) > 0.6).astype(np.uint8) for _ in range(2)]
    gts[1][0, 0] = 255  # an ignored pixel
    probs = [np.clip(rng.random((6, 7)) * 0.8 + 0.1 + 0.3 * g * (g == 1), 0.01, 0.99)
             for g in gts]
    one = [_sample(g, logits=p[None]) for g, p in zip(gts, probs)]
    # C == 2 logits whose channel-1 softmax is p: [0, log(p / (1 - p))]
    two = [_sample(g, logits=np.stack([np.zeros_like(p), np.log(p / (1 - p))]))
           for g, p in zip(gts, probs)]
    res1 = _run(InfNetMetric(), one)
    res2 = _run(InfNetMetric(), two)
    assert set(res1) == {'Dice', 'Sen', 'Spec', 'Spec_tool', 'S-measure', 'E-measure',
                         'E-measure_max', 'MAE'}
    for k in res1:
        assert res1[k] == pytest.approx(res2[k], abs=1e-5)
        assert 0.0 <= res1[k] <= 1.0
    # the same numbers from the functional API, averaged over images
    dice, smeas, maes = [], [], []
    for g, p in zip(gts, probs):
        valid = g != 255
        pn = minmax_normalise(p.astype(np.float32).astype(np.float64), valid=valid)
        dice.append(threshold_curves(pn, g == 1, valid=valid)['dice'].mean())
        smeas.append(s_measure(pn, g == 1, valid=valid))
        maes.append(mae(pn, g == 1, valid=valid))
    assert res1['Dice'] == pytest.approx(np.mean(dice))
    assert res1['S-measure'] == pytest.approx(np.mean(smeas))
    assert res1['MAE'] == pytest.approx(np.mean(maes))
