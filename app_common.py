"""Helpers shared by the Streamlit pages: page setup, loading the current experiment, the
mapping thresholds and small formatting functions. Nothing here computes science; it only
calls `mhlm_core` and keeps Streamlit state."""
import json

import numpy as np
import streamlit as st

from mhlm_core import MHLMError
from mhlm_core.config import DEFAULT_THRESHOLDS
from mhlm_core.mapping.mhlm_mapping import layer_scores

BETA_MAX = 2.0
NO_EXPERIMENT = "Run an experiment on the Experiment page first."
# the paper's drift times, for log-time axes
TIME_TICKS = {"1 s": 1.0, "1 h": 3600.0, "1 d": 86400.0, "1 w": 604800.0, "1 mo": 2592000.0,
              "1 y": 31536000.0}
PLACEMENT_COLORS = {"shared (analog)": "#e4572e", "task-specific (digital)": "#4c78a8"}


PAGES = [("app.py", "Experiment", ":material/science:"), ("pages/1_Training.py", "Training", ":material/show_chart:"),
         ("pages/2_Mapping.py", "Mapping", ":material/account_tree:"),
         ("pages/3_Results.py", "Results", ":material/table_chart:"),
         ("pages/4_Gallery.py", "Gallery", ":material/photo_library:")]
# how the core's metric names read in tables and axes
METRIC_LABELS = {"accuracy": "accuracy", "miou": "mIoU", "map": "mAP"}


def setup_page(title):
    """Wide layout, the sidebar navigation with readable page names, and the page title."""
    icon = next(i for _, name, i in PAGES if name == title)
    st.set_page_config(page_title=f"MHLM Studio · {title}", page_icon=icon, layout="wide")
    if "cfg" not in st.session_state:
        # a new browser session reopens the last finished experiment (it is in the cache)
        from mhlm_core.pipeline import last_config
        last = last_config()
        if last:
            st.session_state["cfg"] = last
    with st.sidebar:
        st.markdown("### MHLM Studio")
        for path, name, page_icon in PAGES:
            st.page_link(path, label=name, icon=page_icon)
        cfg = st.session_state.get("cfg")
        st.divider()
        if cfg:
            st.caption(f"**Current experiment**  \n{cfg['dataset']} · {cfg['backbone']} · "
                       f"{cfg['epochs']}+{cfg['ft_epochs']} epochs · σ={cfg['sigma']} · λ={cfg['lam']} · "
                       f"{cfg['repeats']} repeats · seed {cfg['seed']}")
        else:
            st.caption("No experiment yet.")
    st.title(title)


def config_key(cfg):
    """A canonical JSON string of a configuration (cache key)."""
    return json.dumps(cfg, sort_keys=True, default=str)


@st.cache_resource(show_spinner="Loading the experiment…", max_entries=4)
def _load(key):
    from mhlm_core.pipeline import run_experiment
    return run_experiment(json.loads(key))


def get_experiment():
    """The experiment of st.session_state["cfg"] (loaded from the core's cache), or None after
    telling the user what to do. Never raises for user-facing problems."""
    cfg = st.session_state.get("cfg")
    if not cfg:
        st.info(NO_EXPERIMENT, icon=":material/arrow_back:")
        return None
    try:
        return _load(config_key(cfg))
    except MHLMError as err:
        st.error(str(err))
        return None


def tau_range(stats):
    """(max, step) of the tau slider: 1.2 x the largest layer score over alpha in {0, 1} at the
    largest beta, with a round step of about 1/400 of the range."""
    top = max(float(np.max(layer_scores(stats, a, BETA_MAX)["score"])) for a in (0.0, 1.0))
    top = max(1.2 * top, 1e-3)
    step = 10.0 ** np.floor(np.log10(top / 400))
    return float(np.ceil(top / step) * step), float(step)


def snap(value, lo, hi, step):
    """`value` clipped to [lo, hi] and rounded to the slider's step."""
    value = min(max(float(value), lo), hi)
    return round(round((value - lo) / step) * step + lo, 10)


def thresholds(exp):
    """(tau, alpha, beta) chosen on the Mapping page for this experiment, else the defaults."""
    saved = st.session_state.get("thresholds")
    if saved and saved.get("cfg") == config_key(st.session_state.get("cfg")):
        return saved["tau"], saved["alpha"], saved["beta"]
    tau_max, step = tau_range(exp["stats"])
    d = DEFAULT_THRESHOLDS
    return snap(d["tau"], 0.0, tau_max, step), float(d["alpha"]), float(min(d["beta"], BETA_MAX))


def save_thresholds(tau, alpha, beta):
    st.session_state["thresholds"] = {"cfg": config_key(st.session_state.get("cfg")),
                                      "tau": float(tau), "alpha": float(alpha), "beta": float(beta)}


def metric_scale(exp):
    """(factor, unit) to show task metrics: accuracies in %, anything else as is."""
    if all(m == "accuracy" for m in exp["metrics"].values()):
        return 100.0, "%"
    return 1.0, ""


def metric_label(name):
    """A core metric name ("accuracy", "miou", "map") as shown to the user."""
    return METRIC_LABELS.get(name, name)


def fmt_params(n):
    """Parameter counts in k / M."""
    n = float(n)
    if n >= 1e6:
        return f"{n / 1e6:.2f} M"
    if n >= 1e3:
        return f"{n / 1e3:.1f} k"
    return f"{n:.0f}"


def plot(where, chart):
    """Draw an altair chart at its container's width. "fit-x" sizing that includes the padding
    keeps the plot at the chart's own height (the default collapses it when the legend sits below)."""
    import altair as alt
    where.altair_chart(chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding")))


def log_time_axis(title="time after programming", seconds=None):
    """An altair log-x axis labelled 1 s … 1 y; with `seconds`, ticks only at those times."""
    import altair as alt
    ticks = {k: v for k, v in TIME_TICKS.items() if seconds is None or any(abs(v - s) < 1e-6 * v for s in seconds)}
    expr = " : ".join(f"datum.value == {v:g} ? '{k}'" for k, v in ticks.items()) + " : ''"
    return alt.Axis(values=list(ticks.values()), labelExpr=expr, title=title, grid=True,
                    labelOverlap=False, labelFlush=False)


def log_time_scale(seconds):
    """A log-x scale whose domain spans `seconds` with some room (also for a single time)."""
    import altair as alt
    lo, hi = min(seconds), max(seconds)
    pad = 3.0 if hi / lo > 100 else 10.0
    return alt.Scale(type="log", domain=[lo / pad, hi * pad], nice=False)
