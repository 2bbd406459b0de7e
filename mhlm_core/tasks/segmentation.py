"""Semantic segmentation task: an FCN-style head on a backbone feature map, pixel
cross-entropy, and mean IoU from a confusion matrix accumulated over the whole set."""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class SegHead(nn.Module):
    """FCN decoder: conv3x3(C->64)+BN+ReLU, conv1x1(64->n_classes), bilinear upsample to
    `out_size` (H, W), so a (B, C, h, w) feature map at any stride gives (B, n_classes, H, W)."""

    def __init__(self, in_channels, n_classes, out_size, hidden=64):
        super().__init__()
        self.out_size = tuple(out_size)
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 3, padding=1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Conv2d(hidden, n_classes, 1)

    def forward(self, feats):
        logits = self.classifier(self.conv(feats))
        return F.interpolate(logits, size=self.out_size, mode="bilinear", align_corners=False)


def loss(logits, target):
    """Mean cross-entropy over pixels; logits (B, K, H, W), target int64 (B, H, W).
    Target pixels equal to -100 (torch's default ignore_index) are ignored."""
    return F.cross_entropy(logits, torch.as_tensor(target, dtype=torch.long, device=logits.device))


def confusion(pred, target, n_classes):
    """(n_classes, n_classes) int64 counts, rows = ground truth, columns = prediction.
    Pixels whose target is outside [0, n_classes) (e.g. an ignore label 255) are skipped."""
    pred = np.asarray(pred).astype(np.int64).ravel()
    target = np.asarray(target).astype(np.int64).ravel()
    if pred.shape != target.shape:
        raise ValueError(f"pred and target sizes differ: {pred.size} vs {target.size}")
    valid = (target >= 0) & (target < n_classes)
    pred, target = pred[valid], target[valid]
    if pred.size and (pred.min() < 0 or pred.max() >= n_classes):
        raise ValueError(f"predicted class outside [0, {n_classes})")
    counts = np.bincount(target * n_classes + pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64)


def per_class_iou(cm):
    """IoU per class from a confusion matrix; NaN for a class absent from both prediction and
    ground truth (union 0)."""
    cm = np.asarray(cm, dtype=np.float64)
    inter = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), np.nan)


def miou(pred, target, n_classes):
    """Mean IoU over classes (background included) from one confusion matrix pooled over all
    pixels of all images (not a mean of per-image scores). A class that appears in neither the
    prediction nor the ground truth has no defined IoU and is left out of the mean, as in most
    benchmark code; a class predicted but absent from the ground truth counts with IoU 0.
    pred, target: int arrays (N, H, W) (any matching shape works)."""
    iou = per_class_iou(confusion(pred, target, n_classes))
    if np.isnan(iou).all():
        raise ValueError("mIoU of an empty set")
    return float(np.nanmean(iou))
