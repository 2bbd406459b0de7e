"""Task metrics (higher is better) and batched prediction."""
import numpy as np
import torch


def accuracy(logits, labels):
    """Fraction of samples whose arg-max class equals the label."""
    logits, labels = np.asarray(logits), np.asarray(labels)
    if len(labels) == 0:
        raise ValueError("accuracy of an empty set")
    return float((logits.argmax(1) == labels).mean())


METRICS = {"accuracy": accuracy}


@torch.no_grad()
def predict(net, x, batch_size=512):
    """List over tasks of (N, classes) numpy logits."""
    net.eval()
    outs = [net(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    return [torch.cat([o[t] for o in outs]).cpu().numpy() for t in range(len(outs[0]))]


def evaluate(net, x, ys, tasks):
    """{task name: metric} on (x, ys)."""
    preds = predict(net, x)
    return {t.name: METRICS[t.metric](p, y.numpy()) for t, p, y in zip(tasks, preds, ys)}
