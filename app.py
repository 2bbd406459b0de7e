"""MHLM Studio — Experiment page: pick data, backbone and training settings, run (or load from
cache) one MHLM experiment. The other pages read the experiment stored here."""
import time

import streamlit as st

from app_common import config_key, get_experiment, setup_page
from mhlm_core import MHLMError
from mhlm_core.config import DEFAULTS, PRESETS, make_config
from mhlm_core.data import DATASETS
from mhlm_core.models import BACKBONES

setup_page("Experiment")
st.markdown(
    "**MHLM** (*Multi-Task Neural Network Mapping onto Analog-Digital Heterogeneous Accelerators*) "
    "trains one copy of a backbone per task with weight-noise (hardware-aware) training and a joint "
    "KL loss that makes the copies similar, measures per layer how much the tasks disagree "
    "(Jensen–Shannon divergence, weighted by Shapley importance) and how much accuracy survives "
    "sharing on simulated PCM tiles (aihwkit), and then shares the longest agreeing prefix of "
    "layers k\\*: shared layers run on **analog** in-memory tiles, task-specific layers and heads "
    "stay **digital**. Configure and run an experiment here, then explore it on the "
    "*Training*, *Mapping*, *Results* and *Gallery* pages."
)

DATASET_INFO = {
    "digits": "sklearn 8×8 digits, three classification tasks (digit, rotation, loops)",
    "csv": "your own table: one classification task per target column",
    "shapes": "generated scenes of coloured shapes: segmentation (ss), detection (od), classification (ic)",
    "signs": "generated road-sign crops: sign segmentation (ss) and sign class (sc)",
    "coco": "COCO instances from a local folder: ss, od, ic",
    "belgiumts": "BelgiumTS traffic signs from a local folder: ss and sc",
}
# per-dataset options: widget key -> (option name, default, required); None default: optional, empty
DATASET_OPTIONS = {
    "csv": {"csv_path": ("path", "", True), "csv_targets": ("targets", "", True)},
    "shapes": {"shapes_n_images": ("n_images", 2000, False), "shapes_image_size": ("image_size", 64, False)},
    "signs": {"signs_n_images": ("n_images", 2000, False), "signs_image_size": ("image_size", 48, False)},
    "coco": {"coco_path": ("path", "", True), "coco_categories": ("categories", "", False),
             "coco_image_size": ("image_size", 64, False), "coco_max_images": ("max_images", None, False)},
    "belgiumts": {"belgiumts_path": ("path", "", True), "belgiumts_image_size": ("image_size", 48, False)},
}
SLOW_BACKBONES = ("resnet50", "vit-tiny")

# the widgets start from the last run's config
saved = st.session_state.get("cfg") or DEFAULTS
opts = saved.get("dataset_options") or {}
FIELDS = {
    "dataset": saved["dataset"], "backbone": saved["backbone"], "sigma": float(saved["sigma"]),
    "lam": float(saved["lam"]), "epochs": int(saved["epochs"]), "ft_epochs": int(saved["ft_epochs"]),
    "seed": int(saved["seed"]), "repeats": int(saved["repeats"]), "estimator": saved["estimator"],
    "tile": saved.get("analog", DEFAULTS["analog"])["tile"],
    "backbone_weights": saved.get("backbone_weights", ""),
    "drift_times": list(saved.get("drift_times", DEFAULTS["drift_times"])),
}
for ds, widgets in DATASET_OPTIONS.items():
    for key, (name, default, _) in widgets.items():
        val = opts.get(name, default) if ds == saved["dataset"] else default
        if isinstance(val, (list, tuple)):
            val = ",".join(map(str, val))
        FIELDS[key] = val
for key, val in FIELDS.items():
    st.session_state.setdefault(key, val)


def apply_quick_preset():
    """Fill the widgets with the quick preset (a run of about 20 s)."""
    for key, val in PRESETS["quick"].items():
        st.session_state[key] = val


def dataset_options(s):
    """cfg["dataset_options"] of the chosen dataset: only required options and changed ones, so a
    default configuration (and its cache key) stays the same."""
    out = {}
    for key, (name, default, required) in DATASET_OPTIONS.get(s["dataset"], {}).items():
        val = s[key]
        if isinstance(val, str):
            val = val.strip()
        if isinstance(val, float) and val.is_integer():
            val = int(val)
        if required or (val not in (None, "") and val != default):
            out[name] = val
    return out


def current_overrides():
    """The plain configuration the widgets describe."""
    s = st.session_state
    cfg = {key: s[key] for key in ("dataset", "backbone", "sigma", "lam", "epochs", "ft_epochs",
                                   "seed", "repeats", "estimator", "drift_times")}
    cfg["dataset_options"] = dataset_options(s)
    weights = s["backbone_weights"].strip() if BACKBONES[s["backbone"]].accepts_weights else ""
    if weights:
        cfg["backbone_weights"] = weights
    cfg["analog"] = {"tile": s["tile"]}
    return cfg


c1, c2, c3 = st.columns(3, gap="large")
with c1:
    st.subheader("Data and model")
    st.radio("Dataset", list(DATASETS), key="dataset", captions=[DATASET_INFO.get(d, "") for d in DATASETS],
             help="every dataset is a set of tasks on the same inputs; coco and belgiumts read a local folder")
    ds = st.session_state["dataset"]
    if ds == "csv":
        st.text_input("CSV path", key="csv_path", placeholder="/path/to/data.csv")
        st.text_input("Target columns (comma separated, one task each)", key="csv_targets",
                      placeholder="col1,col2")
    elif ds in ("shapes", "signs"):
        a, b = st.columns(2)
        a.number_input("Images", 60, 100000, step=100, key=f"{ds}_n_images", help="generated, split 60/20/20")
        b.number_input("Image size (px)", 16, 256, step=8, key=f"{ds}_image_size")
    elif ds == "coco":
        st.text_input("COCO root folder", key="coco_path", placeholder="/data/coco",
                      help="a folder with annotations/instances_*.json and the images")
        st.text_input("Categories (comma separated names, optional)", key="coco_categories",
                      placeholder="person,car,dog — empty: all")
        a, b = st.columns(2)
        a.number_input("Image size (px)", 16, 256, step=8, key="coco_image_size")
        b.number_input("Max images (optional)", 1, 1000000, step=100, key="coco_max_images", placeholder="all")
    elif ds == "belgiumts":
        st.text_input("BelgiumTS folder", key="belgiumts_path", placeholder="/data/BelgiumTS")
        st.number_input("Image size (px)", 16, 256, step=8, key="belgiumts_image_size")
    st.radio("Backbone", list(BACKBONES), key="backbone", horizontal=True,
             captions=[b.description for b in BACKBONES.values()])
    if BACKBONES[st.session_state["backbone"]].accepts_weights:
        st.text_input("Local weights file (optional)", key="backbone_weights",
                      placeholder="/path/to/resnet.pth — empty: random init",
                      help="a torchvision state-dict file on this machine; nothing is downloaded")
    if st.session_state["backbone"] in SLOW_BACKBONES:
        st.caption(f":material/warning: **{st.session_state['backbone']}** is slow on a CPU "
                   "(minutes per epoch); prefer a GPU or cnn-small for a first look.")
with c2:
    st.subheader("Training")
    st.slider("Weight noise σ (relative to max |W|)", 0.0, 0.3, step=0.01, key="sigma")
    st.slider("Joint KL loss weight λ", 0.0, 0.5, step=0.01, key="lam")
    a, b = st.columns(2)
    a.number_input("Epochs", 1, 1000, step=1, key="epochs")
    b.number_input("Fine-tune epochs", 0, 1000, step=1, key="ft_epochs")
    st.number_input("Seed", 0, 2**31 - 1, step=1, key="seed")
with c3:
    st.subheader("Importance and deployment")
    st.radio("Shapley estimator", ["shap", "permutation"], key="estimator", horizontal=True,
             help="shap: expected gradients; permutation: sampled channel permutations (faster)")
    st.number_input("Programming / drift repeats", 1, 1000, step=1, key="repeats")
    st.radio("Analog tile (aihwkit)", ["cpp", "torch"], key="tile", horizontal=True,
             help="cpp: InferenceRPUConfig (the paper's C++ simulator, fastest here); its output noise is "
                  "not seeded, so repeated runs differ within the std. torch: TorchInferenceRPUConfig, "
                  "seeded and bit-reproducible, slower on images")
    st.multiselect("Drift times evaluated", DEFAULTS["drift_times"], key="drift_times",
                   help="time after programming the PCM tiles; 1d (the headline) is always included")

b1, b2, _ = st.columns([1, 1, 4])
b1.button("Quick preset", icon=":material/bolt:", key="quick", on_click=apply_quick_preset, width="stretch",
          help="4 training + 1 fine-tuning epochs, 3 repeats, permutation Shapley, drift times 1 s / 1 d / 1 y: "
               "about 20 s for digits, 4 min for shapes on 2 CPU cores")
run = b2.button("Run", icon=":material/play_arrow:", key="run", type="primary", width="stretch")

if run:
    try:
        over = current_overrides()
        if "1d" not in over["drift_times"]:
            over["drift_times"] = over["drift_times"] + ["1d"]
        cfg = make_config(**over)
        from mhlm_core.pipeline import is_cached, remember_last, run_experiment
        cached = is_cached(cfg)
        bar = st.progress(0.0, text="starting…")

        def on_progress(info):
            text = info["message"]
            if info.get("loss") is not None:
                text += f" · loss {info['loss']:.3f}"
            if info.get("eta") is not None:
                text += f" · ETA {info['eta']:.0f} s"
            bar.progress(min(1.0, float(info["fraction"])), text=text)

        t0 = time.perf_counter()
        run_experiment(cfg, progress=on_progress)
        bar.progress(1.0, text="done")
        st.session_state["cfg"] = cfg
        remember_last(cfg)
        st.session_state["last_run"] = {"cfg": config_key(cfg), "cached": cached,
                                        "seconds": time.perf_counter() - t0}
        st.rerun()  # redraw the sidebar and the summary with the new experiment
    except MHLMError as err:
        st.error(str(err))

if st.session_state.get("cfg"):
    exp = get_experiment()
    if exp is not None:
        st.divider()
        st.subheader("Current experiment")
        last = st.session_state.get("last_run") or {}
        if last.get("cfg") == config_key(st.session_state["cfg"]):
            how = "loaded from cache" if last["cached"] else "trained and deployed"
            st.success(f"{how} in {last['seconds']:.1f} s", icon=":material/check_circle:")
        cfg, sizes, tim = exp["config"], exp["data"]["sizes"], exp["timings"]
        m = st.columns([1, 1, 1, 1.6, 1])
        m[0].metric("Dataset", exp["data"]["name"])
        m[1].metric("Backbone", cfg["backbone"])
        m[2].metric("Tasks", len(exp["tasks"]), help=", ".join(exp["tasks"]))
        m[3].metric("Samples train / val / test", f"{sizes['train']}/{sizes['val']}/{sizes['test']}")
        m[4].metric("Compute time (first run)", f"{tim['total']:.1f} s")
        st.caption("Tasks: " + ", ".join(f"**{t}** ({exp['metrics'][t]})" for t in exp["tasks"])
                   + f" · budget {cfg['epochs']} training + {cfg['ft_epochs']} fine-tuning epochs per model"
                   + f" · {cfg['repeats']} programming repeats · σ = {cfg['sigma']}, λ = {cfg['lam']}")
        skipped = exp["data"].get("warnings") or []
        if skipped:
            st.warning(f"{len(skipped)} item(s) of the dataset were skipped while loading; "
                       "the rest loaded.", icon=":material/warning:")
            with st.expander("Skipped items"):
                st.code("\n".join(skipped[:200]), language=None)
        with st.expander("Timings (s)"):
            st.dataframe([{"step": k, "seconds": round(v, 3)} for k, v in tim.items()],
                         hide_index=True, width="stretch")
        st.page_link("pages/2_Mapping.py", label="Choose the mapping →", icon=":material/account_tree:")
