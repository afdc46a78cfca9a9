"""Functional metrics against values worked out by hand on tiny arrays."""
import math

import numpy as np
import pytest
import torch

from vlseg.evaluation.functional import (
    EPS,
    confusion_counts,
    e_measure,
    e_measure_from_counts,
    mae,
    minmax_normalise,
    s_measure,
    scores_from_counts,
    threshold_curves,
)


def test_confusion_counts_and_scores_by_hand():
    # gt   1 1 0     pred 1 0 0
    #      0 0 0          0 0 1
    # TP = 1 (0,0); FN = 1 (0,1); FP = 1 (1,2); TN = 3.
    gt = np.array([[1, 1, 0], [0, 0, 0]])
    pred = np.array([[1, 0, 0], [0, 0, 1]])
    assert confusion_counts(pred, gt) == (1, 1, 1, 3)
    # torch tensors give the same counts
    assert confusion_counts(torch.from_numpy(pred), torch.from_numpy(gt)) == (1, 1, 1, 3)
    s = scores_from_counts(1, 1, 1, 3)
    assert s['Dice'] == pytest.approx(2 / 4)  # 2TP / (2TP + FP + FN) = 2 / 4
    assert s['IoU'] == pytest.approx(1 / 3)  # TP / (TP + FP + FN) = 1 / 3
    assert s['Acc'] == pytest.approx(4 / 6)  # (TP + TN) / N = 4 / 6
    assert s['Sen'] == pytest.approx(1 / 2)  # TP / (TP + FN) = 1 / 2
    assert s['Spec'] == pytest.approx(3 / 4)  # TN / (TN + FP) = 3 / 4
    assert s['Prec'] == pytest.approx(1 / 2)  # TP / (TP + FP) = 1 / 2


def test_confusion_counts_ignore_index():
    # gt   1   255 0     pred 1 1 0
    #      255 0   1          1 0 0
    # the two 255 pixels (both predicted 1) drop out: TP = 1, FP = 0, FN = 1, TN = 2.
    gt = np.array([[1, 255, 0], [255, 0, 1]])
    pred = np.array([[1, 1, 0], [1, 0, 0]])
    assert confusion_counts(pred, gt) == (1, 0, 1, 2)
    # without ignoring, 255 is simply not foreground: the two pixels become FP.
    assert confusion_counts(pred, gt, ignore_index=None) == (1, 2, 1, 2)


def test_empty_gt_conventions():
    # empty gt, empty pred (2 x 2): TP = FP = FN = 0, TN = 4 -> all 0/0 ratios score 1.
    s = scores_from_counts(*confusion_counts(np.zeros((2, 2)), np.zeros((2, 2))))
    assert s == {'Dice': 1.0, 'IoU': 1.0, 'Acc': 1.0, 'Sen': 1.0, 'Spec': 1.0, 'Prec': 1.0}
    # empty gt, one predicted pixel: TP = 0, FP = 1, TN = 3.
    pred = np.array([[1, 0], [0, 0]])
    s = scores_from_counts(*confusion_counts(pred, np.zeros((2, 2))))
    assert s['Dice'] == 0.0  # 0 / (0 + 1 + 0)
    assert s['IoU'] == 0.0
    assert s['Sen'] == 1.0  # 0 / 0: no positive to miss
    assert s['Spec'] == pytest.approx(3 / 4)
    assert s['Acc'] == pytest.approx(3 / 4)
    assert s['Prec'] == 0.0  # 0 / 1
    # the 0/0 value can be changed
    assert scores_from_counts(0, 0, 0, 4, empty_score=0.0)['Dice'] == 0.0


def test_scores_from_counts_arrays():
    s = scores_from_counts(np.array([1, 0]), np.array([1, 0]), np.array([1, 0]),
                           np.array([3, 4]))
    np.testing.assert_allclose(s['Dice'], [0.5, 1.0])
    np.testing.assert_allclose(s['Spec'], [0.75, 1.0])


def test_minmax_normalise():
    # min 2, max 6: (P - 2) / 4
    np.testing.assert_allclose(minmax_normalise(np.array([[2.0, 4.0], [3.0, 6.0]])),
                               [[0.0, 0.5], [0.25, 1.0]])
    assert minmax_normalise(np.array([[6.0, 4.0]])).max() == 1.0  # max exactly 1
    np.testing.assert_array_equal(minmax_normalise(np.full((2, 2), 0.7)), np.zeros((2, 2)))
    # min and max over valid pixels only (the 100 is ignored, then clipped)
    out = minmax_normalise(np.array([0.0, 2.0, 100.0]), valid=np.array([True, True, False]))
    np.testing.assert_allclose(out, [0.0, 1.0, 1.0])


def test_mae():
    # |0.5 - 1| + |0 - 0| + |0.25 - 0| + |1 - 1| = 0.75, / 4 = 0.1875
    p = np.array([[0.5, 0.0], [0.25, 1.0]])
    g = np.array([[1, 0], [0, 1]])
    assert mae(p, g) == pytest.approx(0.1875)
    # leaving out the 0.25 pixel: 0.5 / 3
    valid = np.array([[True, True], [False, True]])
    assert mae(p, g, valid=valid) == pytest.approx(0.5 / 3)


def test_s_measure_special_cases():
    p = np.array([[0.2, 0.4], [0.0, 0.6]])  # mean 0.3
    assert s_measure(p, np.zeros((2, 2))) == pytest.approx(1 - 0.3)  # gt all 0: 1 - mean(P)
    assert s_measure(p, np.ones((2, 2))) == pytest.approx(0.3)  # gt all 1: mean(P)
    g = np.array([[1, 0, 0], [0, 0, 0], [0, 1, 0]])
    assert s_measure(g.astype(float), g) == pytest.approx(1.0)  # perfect map


def test_s_measure_mixed_by_hand():
    # P = 1.0 0.5 0.0     GT = 1 1 0
    #     0.5 0.0 0.0          1 0 0
    #     0.0 0.0 0.0          0 0 0
    p = np.array([[1.0, 0.5, 0.0], [0.5, 0.0, 0.0], [0.0, 0.0, 0.0]])
    g = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0]])
    # Object term. mu = mean(GT) = 3/9 = 1/3.
    #   FG: P on GT = [1, .5, .5]; x = 2/3; deviations 1/3, -1/6, -1/6;
    #       squares sum 1/9 + 1/36 + 1/36 = 1/6; /(3-1) -> var 1/12, sigma = sqrt(1/12).
    #       O_FG = 2x / (x^2 + 1 + sigma) = (4/3) / (4/9 + 1 + sqrt(1/12)).
    #   BG: 1 - P on the 6 background pixels = all 1 -> x = 1, sigma = 0, O_BG = 2/2 = 1.
    o_fg = (4 / 3) / (4 / 9 + 1 + math.sqrt(1 / 12))  # = 0.769329...
    s_o = 1 / 3 * o_fg + 2 / 3 * 1.0  # = 0.923110...
    # Region term. GT pixels (1-based row, col): (1,1), (1,2), (2,1):
    #   X = round((1 + 2 + 1) / 3) = 1, Y = round((1 + 1 + 2) / 3) = 1.
    #   LT = pixel (1,1): 1 px, w1 = 1/9; RT = row 1, cols 2-3: 2 px, w2 = 2/9;
    #   LB = rows 2-3, col 1: 2 px, w3 = 2/9; RB = rows 2-3, cols 2-3: 4 px, w4 = 4/9.
    #   LT: P = [1], GT = [1]: variances 0, covariance 0 -> alpha = beta = 0 -> ssim = 1.
    #   RT: P = [.5, 0], GT = [1, 0]: x = .25, y = .5, N - 1 = 1;
    #       s_x^2 = .0625 + .0625 = .125, s_y^2 = .25 + .25 = .5,
    #       s_xy = (.25)(.5) + (-.25)(-.5) = .25;
    #       alpha = 4 x y s_xy = 4 * .25 * .5 * .25 = .125;
    #       beta = (x^2 + y^2)(s_x^2 + s_y^2) = (.0625 + .25)(.625) = .1953125;
    #       ssim = .125 / .1953125 = 0.64.
    #   LB: P = [.5, 0], GT = [1, 0]: same as RT, 0.64.
    #   RB: P and GT all 0: alpha = beta = 0 -> ssim = 1.
    s_r = 1 / 9 * 1 + 2 / 9 * 0.64 + 2 / 9 * 0.64 + 4 / 9 * 1  # = 7.56 / 9 = 0.84
    assert s_r == pytest.approx(0.84)
    expected = 0.5 * s_o + 0.5 * s_r  # = 0.881555
    assert s_measure(p, g) == pytest.approx(expected, abs=1e-9)
    assert s_measure(p, g, alpha=1.0) == pytest.approx(s_o, abs=1e-9)
    assert s_measure(p, g, alpha=0.0) == pytest.approx(s_r, abs=1e-9)


def test_s_measure_valid_mask_all_true_is_unchanged():
    rng = np.random.default_rng(0)
    p = rng.random((6, 5))
    g = rng.random((6, 5)) > 0.6
    assert s_measure(p, g, valid=np.ones((6, 5), bool)) == pytest.approx(s_measure(p, g))


def test_e_measure_by_hand():
    g = np.array([[1, 0], [0, 0]])
    # all-correct prediction: every xi = 1, phi = 1 -> Q = 4 / 4 = 1.
    assert e_measure(g, g) == pytest.approx(1.0)
    # MATLAB's denominator N - 1: 4 / 3.
    assert e_measure(g, g, n_minus_one=True) == pytest.approx(4 / 3)
    # gt all zero: phi = 1 - FM; FM with 1 of 4 pixels on -> 3 / 4.
    assert e_measure(np.array([[0, 1], [0, 0]]), np.zeros((2, 2))) == pytest.approx(0.75)
    # gt all one: phi = FM -> 1 / 4.
    assert e_measure(np.array([[0, 1], [0, 0]]), np.ones((2, 2))) == pytest.approx(0.25)
    # mixed: FM = 1 1  GT = 1 0   mean(FM) = .5, mean(GT) = .25
    #             0 0       0 0
    #   (f=1, g=1): a = .5, b = .75: xi = 2(.375) / (.25 + .5625) = .75 / .8125 = 12/13;
    #               phi = (25/13)^2 / 4 = 625 / 676
    #   (f=1, g=0): a = .5, b = -.25: xi = -.25 / .3125 = -.8; phi = .2^2 / 4 = .01
    #   (f=0, g=0) twice: a = -.5, b = -.25: xi = .8; phi = 1.8^2 / 4 = .81
    #   Q = (625/676 + .01 + 2 * .81) / 4 = 0.638639...
    fm = np.array([[1, 1], [0, 0]])
    expected = (625 / 676 + 0.01 + 2 * 0.81) / 4
    assert e_measure(fm, g) == pytest.approx(expected)
    # from counts: TP = 1, FP = 1, FN = 0, TN = 2
    assert e_measure_from_counts(1, 1, 0, 2) == pytest.approx(expected)
    # the eps of the denominator is MATLAB's
    assert EPS == np.finfo(float).eps


def test_e_measure_from_counts_matches_pixelwise():
    rng = np.random.default_rng(1)
    for _ in range(5):
        g = rng.random((5, 7)) > 0.7
        fm = rng.random((5, 7)) > 0.5
        tp, fp, fn, tn = confusion_counts(fm.astype(int), g.astype(int))
        for nm1 in (False, True):
            assert e_measure_from_counts(tp, fp, fn, tn, n_minus_one=nm1) == pytest.approx(
                e_measure(fm, g, n_minus_one=nm1))


def test_threshold_curves_by_hand():
    # P = [.1, .3, .5, .9], GT = [0, 1, 0, 1]; thresholds linspace(0, 1, 5) = 0, .25, .5, .75, 1
    #   t = 0   : pred 1111 -> TP 2 FP 2 FN 0 TN 0: Dice 4/6, Sen 1,  Spec 0
    #   t = .25 : pred 0111 -> TP 2 FP 1 FN 0 TN 1: Dice 4/5, Sen 1,  Spec .5
    #   t = .5  : pred 0011 (.5 >= .5) -> TP 1 FP 1 FN 1 TN 1: Dice 2/4, Sen .5, Spec .5
    #   t = .75 : pred 0001 -> TP 1 FP 0 FN 1 TN 2: Dice 2/3, Sen .5, Spec 1
    #   t = 1   : pred 0000 -> TP 0 -> Dice 0, Sen 0; Spec 2/2 = 1 (MATLAB code: 0)
    p = np.array([0.1, 0.3, 0.5, 0.9])
    g = np.array([0, 1, 0, 1])
    c = threshold_curves(p, g, num_thresholds=5)
    np.testing.assert_allclose(c['dice'], [4 / 6, 4 / 5, 2 / 4, 2 / 3, 0.0])
    np.testing.assert_allclose(c['sen'], [1, 1, 0.5, 0.5, 0])
    np.testing.assert_allclose(c['spec'], [0, 0.5, 0.5, 1, 1])
    assert c['dice'].mean() == pytest.approx((4 / 6 + 4 / 5 + 2 / 4 + 2 / 3) / 5)  # 0.526667
    c = threshold_curves(p, g, num_thresholds=5, spec_zero_if_no_tp=True)
    np.testing.assert_allclose(c['spec'], [0, 0.5, 0.5, 1, 0])
    # strict '>': at t = .5 the .5 pixel is off -> pred 0001, as at t = .75
    c = threshold_curves(p, g, num_thresholds=5, strict=True)
    np.testing.assert_allclose(c['dice'], [4 / 6, 4 / 5, 2 / 3, 2 / 3, 0.0])


def test_threshold_curves_brute_force():
    rng = np.random.default_rng(2)
    p = minmax_normalise(rng.random((8, 8)))
    g = rng.random((8, 8)) > 0.6
    for strict in (False, True):
        c = threshold_curves(p, g, 256, strict=strict)
        for i, t in enumerate(np.linspace(0, 1, 256)):
            b = p > t if strict else p >= t
            tp = int((b & g).sum())
            fp = int((b & ~g).sum())
            fn = int((~b & g).sum())
            tn = int((~b & ~g).sum())
            dice = 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0
            sen = tp / (tp + fn) if tp > 0 else 0.0
            assert c['dice'][i] == pytest.approx(dice)
            assert c['sen'][i] == pytest.approx(sen)
            assert c['spec'][i] == pytest.approx(tn / (tn + fp))
            assert c['e_measure'][i] == pytest.approx(e_measure(b, g))


def test_shape_mismatch_raises():
    with pytest.raises(ValueError):
        confusion_counts(np.zeros((2, 2)), np.zeros((2, 3)))
