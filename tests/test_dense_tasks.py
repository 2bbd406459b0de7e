"""Dense-prediction tasks: segmentation mIoU and CenterNet detection (encode/decode/loss/COCO mAP),
checked against values computed by hand."""
import numpy as np
import pytest
import torch

from mhlm_core.tasks import detection as det
from mhlm_core.tasks import segmentation as seg

GT = np.array([[0, 0, 1, 1],
               [0, 0, 1, 1],
               [2, 2, 1, 1],
               [2, 2, 0, 0]])
PRED = np.array([[0, 0, 1, 1],
                 [0, 1, 1, 1],
                 [2, 2, 2, 1],
                 [2, 0, 0, 0]])
# Errors: (1,1) gt 0 -> 1, (2,2) gt 1 -> 2, (3,1) gt 2 -> 0.
# class 0: |gt| = 6, |pred| = 6, inter = 5, union = 6 + 6 - 5 = 7 -> 5/7
# class 1: |gt| = 6, |pred| = 6, inter = 5, union = 7            -> 5/7
# class 2: |gt| = 4, |pred| = 4, inter = 3, union = 4 + 4 - 3 = 5 -> 3/5
IOU_HAND = (5 / 7 + 5 / 7 + 3 / 5) / 3  # = 71/105


# ---------------------------------------------------------------- segmentation
def test_confusion_hand_values():
    cm = seg.confusion(PRED, GT, 3)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, [[5, 1, 0],   # rows: ground truth, columns: prediction
                                       [0, 5, 1],
                                       [1, 0, 3]])
    assert cm.sum() == GT.size


def test_miou_hand_value():
    assert seg.miou(PRED[None], GT[None], 3) == pytest.approx(IOU_HAND)
    assert IOU_HAND == pytest.approx(71 / 105)
    assert seg.miou(GT[None], GT[None], 3) == 1.0


def test_miou_excludes_absent_class():
    # class 3 is in neither pred nor gt: excluded (not counted as 0, which would give 71/140)
    assert seg.miou(PRED[None], GT[None], 4) == pytest.approx(71 / 105)
    # class 3 predicted but absent from gt: counts with IoU 0
    pred = PRED.copy()
    pred[0, 0] = 3  # class 0: inter 4, union 6 + 5 - 4 = 7 -> 4/7
    assert seg.miou(pred[None], GT[None], 4) == pytest.approx((4 / 7 + 5 / 7 + 3 / 5 + 0) / 4)


def test_miou_pools_confusion_over_set():
    # second image all background and predicted right: class 0 pooled inter 5 + 16, union 7 + 16
    pred = np.stack([PRED, np.zeros((4, 4), int)])
    gt = np.stack([GT, np.zeros((4, 4), int)])
    assert seg.miou(pred, gt, 3) == pytest.approx((21 / 23 + 5 / 7 + 3 / 5) / 3)
    assert seg.confusion(pred, gt, 3).sum() == 32


def test_seg_head_shape_and_loss_backward():
    torch.manual_seed(0)
    head = seg.SegHead(32, 5, (32, 32))
    logits = head(torch.randn(2, 32, 8, 8))
    assert logits.shape == (2, 5, 32, 32)
    target = torch.randint(0, 5, (2, 32, 32))
    value = seg.loss(logits, target)
    assert torch.isfinite(value) and value > 0
    value.backward()
    assert head.conv[0].weight.grad.abs().sum() > 0


# ---------------------------------------------------------------- detection: shapes, encode
def test_det_head_shape_and_split():
    head = det.DetHead(32, 3)
    out = head(torch.randn(2, 32, 8, 8))
    assert out.shape == (2, 3 + 4, 8, 8)
    heat, wh, off = det.split(out, 3)
    assert heat.shape == (2, 3, 8, 8) and wh.shape == (2, 2, 8, 8) and off.shape == (2, 2, 8, 8)
    assert torch.allclose(head.heat.bias, torch.full((3,), -2.19))


def test_encode_hand_values():
    # box [9, 13, 25, 22] at stride 4: centre (17, 17.5) px = (4.25, 4.375) cells -> cell (x 4, y 4),
    # offset (0.25, 0.375); size (16, 9) px = (4, 2.25) cells
    t = det.encode([np.array([[9, 13, 25, 22, 1]]), np.zeros((0, 5))], 2, (8, 8), 4)
    assert t.shape == (2, 2 + 5, 8, 8) and t.dtype == np.float32
    heat, wh, off, mask = det.split_target(t, 2)
    assert heat[0, 1, 4, 4] == 1.0 and (heat[0, 1] == 1).sum() == 1 and heat[0, 0].max() == 0
    np.testing.assert_allclose(wh[0, :, 4, 4], [4, 2.25])
    np.testing.assert_allclose(off[0, :, 4, 4], [0.25, 0.375])
    assert mask[0].sum() == 1 and mask[0, 4, 4] == 1
    assert not t[1].any()


def _perfect_output(target, n_classes):
    heat, wh, off, _ = det.split_target(torch.as_tensor(target), n_classes)
    logits = torch.where(heat == 1, torch.tensor(20.0), torch.tensor(-20.0))
    return torch.cat([logits, wh, off], 1)


def test_encode_decode_round_trip():
    boxes = [np.array([[3, 5, 20, 30, 0], [30, 8, 60, 22, 2], [40, 40, 63, 62, 1]], float),
             np.array([[10.5, 12.25, 17.75, 50, 1]]),
             np.zeros((0, 5))]
    target = det.encode(boxes, 3, (16, 16), 4)
    dets = det.decode(_perfect_output(target, 3), 3, 4)
    assert len(dets) == 3
    for gt, d in zip(boxes, dets):
        assert d.shape == (len(gt), 6)
        for g in gt:
            j = np.abs(d[:, :4] - g[:4]).sum(1).argmin()
            assert np.abs(d[j, :4] - g[:4]).max() < 1.0
            assert d[j, 5] == g[4] and d[j, 4] > 0.99


# ---------------------------------------------------------------- detection: loss
def test_loss_finite_positive_and_backward():
    torch.manual_seed(0)
    boxes = [np.array([[3, 5, 20, 30, 0], [30, 8, 60, 22, 2]]), np.zeros((0, 5))]
    target = det.encode(boxes, 3, (8, 8), 8)
    head = det.DetHead(16, 3)
    out = head(torch.randn(2, 16, 8, 8))
    value = det.loss(out, target, 3)
    assert torch.isfinite(value) and value > 0
    value.backward()
    for p in head.parameters():
        assert torch.isfinite(p.grad).all()
    assert head.heat.weight.grad.abs().sum() > 0 and head.wh.weight.grad.abs().sum() > 0
    # the perfect output scores far lower than a random one
    assert det.loss(_perfect_output(target, 3), target, 3) < 1e-3 < value.item()


def test_loss_zero_objects():
    target = det.encode([np.zeros((0, 5))] * 2, 3, (8, 8), 4)
    out = torch.randn(2, 3 + 4, 8, 8, requires_grad=True)
    value = det.loss(out, torch.as_tensor(target), 3)
    assert torch.isfinite(value) and value > 0  # negatives still penalised
    value.backward()
    assert torch.isfinite(out.grad).all()
    assert out.grad[:, 3:].abs().sum() == 0  # no regression signal without objects


# ---------------------------------------------------------------- detection: COCO mAP
# Two GT boxes, 100 x 100 each, far apart. The second detection [200, 200, 300, 262] overlaps
# GT 2 [200, 200, 300, 300] by 100 * 62 = 6200 px, union 10000 -> IoU 0.62. pycocotools matches
# when iou >= t, so it is a TP at t in {0.50, 0.55, 0.60} and a FP at the 7 thresholds 0.65..0.95.
GT2 = [np.array([[0, 0, 100, 100, 0], [200, 200, 300, 300, 0]], float)]
DET2 = [np.array([[0, 0, 100, 100, 0.9, 0], [200, 200, 300, 262, 0.8, 0]], float)]


def test_coco_map_two_boxes_same_class():
    # t <= 0.60: both TP, precision 1 up to recall 1 -> AP 1 (all 101 recall points).
    # t >= 0.65: TP (score 0.9) then FP: recall reaches 0.5 with interpolated precision 1; the
    # 101 recall thresholds 0.00..0.50 (51 points) get 1, the other 50 get 0 -> AP 51/101.
    hand = (3 * 1 + 7 * 51 / 101) / 10  # = 660/1010 ~ 0.6535
    assert det.coco_map(DET2, GT2, (320, 320), 1) == pytest.approx(hand, abs=1e-9)


def test_coco_map_two_boxes_two_classes():
    # class 0: perfect -> AP 1 at all 10 thresholds; class 1: AP 1 at 3 thresholds, 0 at 7
    gt = [GT2[0].copy()]
    dt = [DET2[0].copy()]
    gt[0][1, 4] = dt[0][1, 5] = 1
    assert det.coco_map(dt, gt, 320, 2) == pytest.approx((10 + 3) / 20, abs=1e-9)


def test_coco_map_ground_truth_and_empty():
    gts = [np.array([[5, 5, 40, 30, 0], [50, 10, 60, 60, 1]], float), np.zeros((0, 5)),
           np.array([[1, 2, 33, 44, 1]], float)]
    as_dets = [np.c_[g[:, :4], np.ones(len(g)), g[:, 4]] for g in gts]
    assert det.coco_map(as_dets, gts, 64, 2) == pytest.approx(1.0)
    assert det.coco_map([np.zeros((0, 6))] * 3, gts, 64, 2) == 0.0
    assert det.coco_map(as_dets, [np.zeros((0, 5))] * 3, 64, 2) == 0.0
    # image 3 gets no detection: class 1 has 2 GT, 1 TP at score 1 -> AP 51/101 at every
    # threshold; class 0 stays perfect -> mean (1 + 51/101) / 2
    partial = as_dets[:2] + [np.zeros((0, 6))]
    assert det.coco_map(partial, gts, 64, 2) == pytest.approx((1 + 51 / 101) / 2, abs=1e-9)


def test_decode_round_trip_scores_full_map():
    boxes = [np.array([[3, 5, 20, 30, 0], [30, 8, 60, 22, 2]], float), np.array([[10, 12, 40, 50, 1]], float)]
    dets = det.decode(_perfect_output(det.encode(boxes, 3, (16, 16), 4), 3), 3, 4)
    assert det.coco_map(dets, boxes, 64, 3) == pytest.approx(1.0)
