"""A few test images with ground truth and predictions: a method's digital network next to its
analog deployment after drift (same weights), as plain arrays for the app to draw."""
import numpy as np
import torch

from ..analog.deploy import DRIFT_TIMES, has_analog, to_analog
from ..tasks import kind_of
from .results import method_runs


def _image(x):
    """(C, H, W) float in [0, 1] -> (H, W, 3) uint8."""
    img = np.clip(x.transpose(1, 2, 0), 0, 1)
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return (255 * img).astype(np.uint8)


def _predict(net, x, data):
    with torch.no_grad():
        outs = net(x)
    return [kind_of(t).postprocess(o, t, data.geometry) for t, o in zip(data.tasks, outs)]


def gallery(exp, tau, alpha, beta, method="mhlm", n=6, time="1d", seed=0, data=None):
    """Predictions on the first `n` test images: list of {"image", "truth", "digital", "analog"}
    where each of the last three maps task name -> label id | mask (H, W) | boxes (m, 5 or 6).
    `analog` is None when the method has nothing on analog tiles."""
    from .. import MHLMError
    from ..pipeline import net_from_state, prepare_data
    cfg = exp["config"]
    if len(exp["data"]["input_shape"]) != 3:
        raise MHLMError(f"the gallery shows images; {exp['data']['name']} has tabular features")
    if data is None:
        data, _ = prepare_data(cfg)
    run = method_runs(exp, tau, alpha, beta)[method]
    net = net_from_state(cfg, data, run["k"], run["state_dict"])
    x = torch.from_numpy(data.x["test"][:n])
    digital = _predict(net, x, data)
    analog = None
    if has_analog(run["k"], run["analog_trunk"], run["analog_rest"]):
        model = to_analog(net, run["analog_trunk"], run["analog_rest"], cfg["analog"])
        torch.manual_seed(seed)
        model.program_analog_weights()
        model.drift_analog_weights(DRIFT_TIMES[time])
        analog = _predict(model, x, data)
    items = []
    for i in range(len(x)):
        truth = {t.name: data.y["test"][t.name][i] for t in data.tasks}
        items.append({"image": _image(data.x["test"][i]), "truth": truth,
                      "digital": {t.name: p[i] for t, p in zip(data.tasks, digital)},
                      "analog": None if analog is None else {t.name: p[i] for t, p in zip(data.tasks, analog)}})
    return {"items": items, "tasks": [(t.name, t.kind, t.n_classes) for t in data.tasks],
            "categories": data.info.get("categories"), "method": method, "k": run["k"], "time": time}
