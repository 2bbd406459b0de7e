"""Task-kind registry: how a task of each kind builds its head, trains, predicts and scores.

A kind is data (LibMTL style): `TaskKind(make_head, loss, postprocess, metric, summary, encode)`.
- make_head(feature_shape, spec, geometry, backbone) -> nn.Module on the last backbone feature
- loss(out, target, spec) -> scalar; target is what `encode` made of the raw labels
- postprocess(out, spec, geometry) -> per-sample predictions of one batch (numpy / list)
- metric(predictions, raw_labels, spec, geometry) -> float, higher is better
- summary(out) -> (B, K) scores per sample, the value whose Shapley attribution is importance
- encode(raw_labels, spec, geometry) -> training target array (None: use raw labels)
`geometry` = {"input_shape": (C, H, W), "feature_shape": (C', h, w), "stride": H / h}.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch

from . import classification, detection, segmentation


@dataclass(frozen=True)
class TaskKind:
    make_head: Callable
    loss: Callable
    postprocess: Callable
    metric: Callable
    summary: Callable
    encode: Optional[Callable] = None


def _spatial_mean(out):
    return out.flatten(2).mean(2) if out.dim() > 2 else out


def _det_summary(out):
    # class heatmap logits: the strongest peak per class scores the detection of that class
    return out[:, :-4].flatten(2).amax(2)


KINDS = {
    "classification": TaskKind(
        make_head=lambda feat, spec, geo, bb: bb.make_head(feat, spec.n_classes),
        loss=lambda out, y, spec: classification.loss(out, y),
        postprocess=lambda out, spec, geo: out.argmax(1).cpu().numpy(),
        metric=lambda pred, y, spec, geo: classification.accuracy(np.concatenate(pred), y),
        summary=lambda out: out),
    "segmentation": TaskKind(
        make_head=lambda feat, spec, geo, bb: segmentation.SegHead(feat[0], spec.n_classes, geo["input_shape"][1:]),
        loss=lambda out, y, spec: segmentation.loss(out, y),
        postprocess=lambda out, spec, geo: out.argmax(1).to(torch.uint8).cpu().numpy(),
        metric=lambda pred, y, spec, geo: segmentation.miou(np.concatenate(pred), y, spec.n_classes),
        summary=_spatial_mean),
    "detection": TaskKind(
        make_head=lambda feat, spec, geo, bb: detection.DetHead(feat[0], spec.n_classes),
        loss=lambda out, y, spec: detection.loss(out, y, spec.n_classes),
        postprocess=lambda out, spec, geo: detection.decode(out, spec.n_classes, geo["stride"]),
        metric=lambda pred, y, spec, geo: detection.coco_map(
            [d for batch in pred for d in batch], list(y), geo["input_shape"][1:], spec.n_classes),
        summary=_det_summary,
        encode=lambda y, spec, geo: detection.encode(list(y), spec.n_classes, geo["feature_shape"][1:],
                                                     geo["stride"])),
}


def kind_of(spec):
    return KINDS[getattr(spec, "kind", "classification")]
