"""Object detection task, anchor-free CenterNet style (Zhou et al., "Objects as Points"): per
class a centre heatmap plus box size and sub-cell centre offset regressed at the centre cell.

Layouts (channel-first, at feature resolution h x w, stride s = input size / feature size):
  head output  (B, K + 4, h, w) = [heat logits K, wh 2, off 2]
  target       (N, K + 5, h, w) = [heat K, wh 2, off 2, mask 1]
wh = (box width, box height) in feature units; off = (x, y) of the box centre minus its integer
cell, in feature units; mask = 1 at centre cells. Boxes are [x1, y1, x2, y2, cls] in input
pixels with cls in [0, K).
"""
import contextlib
import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HEAT_BIAS = -2.19  # sigmoid(-2.19) ~ 0.1: the CenterNet prior, keeps the early focal loss stable
WH_WEIGHT, OFF_WEIGHT = 0.1, 1.0


class DetHead(nn.Module):
    """Shared conv3x3(C->64)+ReLU, then 1x1 convs for heatmap (K), size (2) and offset (2),
    concatenated into one (B, K + 4, h, w) tensor so it plugs in like any other task head."""

    def __init__(self, in_channels, n_classes, hidden=64):
        super().__init__()
        self.n_classes = n_classes
        self.shared = nn.Sequential(nn.Conv2d(in_channels, hidden, 3, padding=1), nn.ReLU(inplace=True))
        self.heat = nn.Conv2d(hidden, n_classes, 1)
        self.wh = nn.Conv2d(hidden, 2, 1)
        self.off = nn.Conv2d(hidden, 2, 1)
        nn.init.constant_(self.heat.bias, HEAT_BIAS)

    def forward(self, feats):
        h = self.shared(feats)
        return torch.cat([self.heat(h), self.wh(h), self.off(h)], 1)


def split(out, n_classes):
    """Head output (B, K + 4, h, w) -> (heat_logits, wh, off); works on tensors and arrays."""
    k = n_classes
    return out[:, :k], out[:, k:k + 2], out[:, k + 2:k + 4]


def split_target(t, n_classes):
    """Target (N, K + 5, h, w) -> (heat (N,K,h,w), wh (N,2,h,w), off (N,2,h,w), mask (N,h,w))."""
    k = n_classes
    return t[:, :k], t[:, k:k + 2], t[:, k + 2:k + 4], t[:, k + 4]


def gaussian_radius(height, width, min_overlap=0.7):
    """CenterNet's radius rule (as in its reference code): the largest corner displacement for
    which a box of this size still overlaps the true box by `min_overlap`, minimum of 3 cases."""
    b1 = height + width
    c1 = width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * c1)) / 2
    b2 = 2 * (height + width)
    c2 = (1 - min_overlap) * width * height
    r2 = (b2 + math.sqrt(b2 ** 2 - 16 * c2)) / 2
    a3 = 4 * min_overlap
    b3 = -2 * min_overlap * (height + width)
    c3 = (min_overlap - 1) * width * height
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def _stride_xy(stride):
    sx, sy = (stride, stride) if np.isscalar(stride) else tuple(stride)[::-1]
    return float(sx), float(sy)


def encode(boxes_list, n_classes, feat_hw, stride):
    """Dense CenterNet targets for a list of per-image (n, 5) [x1, y1, x2, y2, cls] boxes in input
    pixels -> float32 (N, K + 5, h, w) (see module doc). Heat peaks are Gaussians with CenterNet's
    radius (int(gaussian_radius(box at feature scale)), min 0, sigma = (2r + 1) / 6), merged by max
    per class; the centre cell holds exactly 1. Boxes with non-positive width/height are skipped;
    centres outside the grid are clamped to the border cell. When two boxes share a centre cell
    the later one's wh/off win (as in CenterNet). stride: scalar or (sy, sx)."""
    h, w = feat_hw
    sx, sy = _stride_xy(stride)
    k = n_classes
    out = np.zeros((len(boxes_list), k + 5, h, w), np.float32)
    ys, xs = np.arange(h)[:, None], np.arange(w)[None, :]
    for i, boxes in enumerate(boxes_list):
        boxes = np.asarray(boxes, np.float64).reshape(-1, 5)
        heat, wh, off, mask = out[i, :k], out[i, k:k + 2], out[i, k + 2:k + 4], out[i, k + 4]
        for x1, y1, x2, y2, cls in boxes:
            bw, bh = (x2 - x1) / sx, (y2 - y1) / sy
            if bw <= 0 or bh <= 0:
                continue
            c = int(cls)
            if not 0 <= c < k:
                raise ValueError(f"class {c} outside [0, {k})")
            cx, cy = (x1 + x2) / 2 / sx, (y1 + y2) / 2 / sy
            ix, iy = min(max(int(math.floor(cx)), 0), w - 1), min(max(int(math.floor(cy)), 0), h - 1)
            r = max(0, int(gaussian_radius(math.ceil(bh), math.ceil(bw))))
            sigma = (2 * r + 1) / 6
            dx, dy = xs - ix, ys - iy
            g = np.exp(-(dx ** 2 + dy ** 2) / (2 * sigma ** 2))
            g[(np.abs(dx) > r) | (np.abs(dy) > r)] = 0
            np.maximum(heat[c], g.astype(np.float32), out=heat[c])
            heat[c, iy, ix] = 1.0
            wh[:, iy, ix] = bw, bh
            off[:, iy, ix] = cx - ix, cy - iy
            mask[iy, ix] = 1.0
    return out


def focal_loss(heat_logits, heat):
    """CenterNet's penalty-reduced pixel focal loss (alpha = 2, beta = 4), summed and divided by
    the number of peaks (heat == 1), at least 1. Uses logsigmoid for stability at large logits."""
    pos = heat.eq(1).to(heat_logits.dtype)
    neg = 1 - pos
    p = torch.sigmoid(heat_logits)
    log_p, log_1mp = F.logsigmoid(heat_logits), F.logsigmoid(-heat_logits)
    pos_loss = (log_p * (1 - p) ** 2 * pos).sum()
    neg_loss = (log_1mp * p ** 2 * (1 - heat) ** 4 * neg).sum()
    return -(pos_loss + neg_loss) / pos.sum().clamp(min=1)


def _masked_l1(pred, target, mask):
    """Mean |pred - target| over the mask cells and both channels (0 when the mask is empty)."""
    m = mask.unsqueeze(1)
    return ((pred - target).abs() * m).sum() / (2 * m.sum()).clamp(min=1)


def loss(out, target, n_classes):
    """Focal heatmap loss + 0.1 * L1(wh) + 1 * L1(off) at centre cells. out (B, K + 4, h, w);
    target (B, K + 5, h, w) tensor or array from `encode`. Finite with zero objects."""
    target = torch.as_tensor(target, dtype=out.dtype, device=out.device)
    heat_logits, wh, off = split(out, n_classes)
    heat, wh_t, off_t, mask = split_target(target, n_classes)
    return (focal_loss(heat_logits, heat) + WH_WEIGHT * _masked_l1(wh, wh_t, mask)
            + OFF_WEIGHT * _masked_l1(off, off_t, mask))


@torch.no_grad()
def decode(out, n_classes, stride, topk=20, score_threshold=0.05):
    """Head output -> per image a float32 (n, 6) [x1, y1, x2, y2, score, cls] array in input
    pixels, best first: sigmoid heatmap, 3x3 max-pool NMS (keep local maxima), top-k peaks over
    all classes, score >= score_threshold; sizes clamped at 0, boxes clipped to the input."""
    out = torch.as_tensor(out)
    sx, sy = _stride_xy(stride)
    heat_logits, wh, off = split(out.float(), n_classes)
    b, k, h, w = heat_logits.shape
    heat = torch.sigmoid(heat_logits)
    peaks = heat * (F.max_pool2d(heat, 3, stride=1, padding=1) == heat)
    scores, idx = peaks.reshape(b, -1).topk(min(topk, k * h * w), dim=1)
    cls, cell = idx // (h * w), idx % (h * w)
    iy, ix = cell // w, cell % w
    results = []
    for i in range(b):
        keep = scores[i] >= score_threshold
        c, yy, xx, s = cls[i][keep], iy[i][keep], ix[i][keep], scores[i][keep]
        cx = xx.float() + off[i, 0, yy, xx]
        cy = yy.float() + off[i, 1, yy, xx]
        bw, bh = wh[i, 0, yy, xx].clamp(min=0), wh[i, 1, yy, xx].clamp(min=0)
        boxes = torch.stack([((cx - bw / 2) * sx).clamp(0, w * sx), ((cy - bh / 2) * sy).clamp(0, h * sy),
                             ((cx + bw / 2) * sx).clamp(0, w * sx), ((cy + bh / 2) * sy).clamp(0, h * sy),
                             s, c.float()], 1)
        results.append(boxes.cpu().numpy().astype(np.float32))
    return results


def coco_map(detections, ground_truth, image_size, n_classes):
    """COCO mAP@[.5:.95] (COCOeval stats[0], iouType "bbox", maxDets 100) of per-image detections
    (n, 6) [x1, y1, x2, y2, score, cls] against per-image ground truth (n, 5) [x1, y1, x2, y2, cls].
    Built in memory: image ids 1..N, category ids 1..K, annotation ids from 1 (pycocotools treats
    id 0 as unmatched), bbox [x, y, w, h], area w * h, iscrowd 0. pycocotools' prints are silenced.
    0.0 when there is no ground-truth box at all or no detection at all. image_size: (H, W) or int."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if len(detections) != len(ground_truth):
        raise ValueError(f"{len(detections)} detection lists for {len(ground_truth)} images")
    hgt, wid = (image_size, image_size) if np.isscalar(image_size) else tuple(image_size)
    images = [{"id": i + 1, "height": int(hgt), "width": int(wid)} for i in range(len(ground_truth))]
    anns = []
    for i, g in enumerate(ground_truth):
        for x1, y1, x2, y2, c in np.asarray(g, np.float64).reshape(-1, 5):
            bw, bh = x2 - x1, y2 - y1
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(c) + 1,
                         "bbox": [x1, y1, bw, bh], "area": bw * bh, "iscrowd": 0})
    results = []
    for i, d in enumerate(detections):
        for x1, y1, x2, y2, s, c in np.asarray(d, np.float64).reshape(-1, 6):
            results.append({"image_id": i + 1, "category_id": int(c) + 1,
                            "bbox": [x1, y1, x2 - x1, y2 - y1], "score": s})
    if not anns or not results:  # loadRes fails on an empty list; AP is 0 with GT and no detections
        return 0.0
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": anns,
                      "categories": [{"id": c + 1, "name": str(c)} for c in range(n_classes)]}
        gt.createIndex()
        dt = gt.loadRes(results)
        ev = COCOeval(gt, dt, iouType="bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[0])
