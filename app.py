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
    "*Training*, *Mapping* and *Results* pages."
)

# widget key -> (config key, default); the widgets start from the last run's config
saved = st.session_state.get("cfg") or DEFAULTS
opts = saved.get("dataset_options") or {}
FIELDS = {
    "dataset": saved["dataset"], "csv_path": opts.get("path", ""), "csv_targets": opts.get("targets", ""),
    "backbone": saved["backbone"], "sigma": float(saved["sigma"]), "lam": float(saved["lam"]),
    "epochs": int(saved["epochs"]), "ft_epochs": int(saved["ft_epochs"]), "seed": int(saved["seed"]),
    "repeats": int(saved["repeats"]), "estimator": saved["estimator"],
    "tile": saved.get("analog", DEFAULTS["analog"])["tile"],
}
for key, val in FIELDS.items():
    st.session_state.setdefault(key, val)


def apply_quick_preset():
    """Fill the widgets with the quick preset (a run of about 20 s)."""
    for key, val in PRESETS["quick"].items():
        st.session_state[key] = val


def current_overrides():
    """The plain configuration the widgets describe."""
    s = st.session_state
    cfg = {key: s[key] for key in ("dataset", "backbone", "sigma", "lam", "epochs", "ft_epochs",
                                   "seed", "repeats", "estimator")}
    cfg["dataset_options"] = ({"path": s["csv_path"].strip(), "targets": s["csv_targets"].strip()}
                              if s["dataset"] == "csv" else {})
    cfg["analog"] = {"tile": s["tile"]}
    return cfg


c1, c2, c3 = st.columns(3, gap="large")
with c1:
    st.subheader("Data and model")
    st.radio("Dataset", list(DATASETS), key="dataset", horizontal=True,
             help="digits: sklearn 8×8 digits, three classification tasks; csv: your own table, one task "
                  "per target column; other entries come from the mhlm_core dataset registry")
    if st.session_state["dataset"] == "csv":
        st.text_input("CSV path", key="csv_path", placeholder="/path/to/data.csv")
        st.text_input("Target columns (comma separated, one task each)", key="csv_targets",
                      placeholder="col1,col2")
    st.radio("Backbone", list(BACKBONES), key="backbone", horizontal=True,
             captions=[b.description for b in BACKBONES.values()])
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
    st.radio("Analog tile (aihwkit)", ["cpp", "torch"], key="tile", horizontal=True)

b1, b2, _ = st.columns([1, 1, 4])
b1.button("Quick preset", icon=":material/bolt:", key="quick", on_click=apply_quick_preset, width="stretch",
          help=f"{PRESETS['quick']} — about 20 s on a laptop")
run = b2.button("Run", icon=":material/play_arrow:", key="run", type="primary", width="stretch")

if run:
    try:
        cfg = make_config(**current_overrides())
        from mhlm_core.pipeline import is_cached, run_experiment
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
        with st.expander("Timings (s)"):
            st.dataframe([{"step": k, "seconds": round(v, 3)} for k, v in tim.items()],
                         hide_index=True, width="stretch")
        st.page_link("pages/2_Mapping.py", label="Choose the mapping →", icon=":material/account_tree:")
