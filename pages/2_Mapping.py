"""Mapping page: choose the thresholds τ, α, β and see the shared prefix k*, the per-layer
scores, the heterogeneous network, the accounting and the Pareto front update together."""
import json

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app_common import (BETA_MAX, PLACEMENT_COLORS, fmt_params, get_experiment, metric_scale, plot,
                        save_thresholds, setup_page, snap, tau_range, thresholds)
from mhlm_core import MHLMError
from mhlm_core.mapping.mhlm_mapping import choose, pair_layer_jsd, pareto
from mhlm_core.mapping.schema import build_mapping, dumps, validate_mapping

setup_page("Mapping")
exp = get_experiment()
if exp is None:
    st.stop()

stats = exp["stats"]
names = [row["name"] for row in stats["layers"]]
scale, unit = metric_scale(exp)
TAU_MAX, TAU_STEP = tau_range(stats)
st.caption("A layer is shared while its score **WJSD = JSD(α) + β·(1 − R)** stays ≤ τ; the first layer above "
           "τ and everything after it become task-specific. JSD(α): inter-task Jensen–Shannon divergence "
           "(bits) with channels weighted by Shapley importance (α = 0 uniform, α = 1 fully importance "
           "weighted); R: 1-day accuracy retained when sharing up to that layer on PCM tiles.")


def network_html(k, tasks):
    """The heterogeneous network as boxes: shared analog trunk, then per-task digital branches."""
    L = len(names)
    cells = []
    for i, name in enumerate(names):
        if i < k:
            cells.append(f'<div class="b a" style="grid-column:{i + 1};grid-row:1/span {len(tasks)}">'
                         f'<b>{name}</b><br><small>shared · analog (PCM tiles)</small></div>')
        else:
            cells += [f'<div class="b d" style="grid-column:{i + 1};grid-row:{t + 1}">'
                      f'<b>{name}</b><br><small>{task} · digital</small></div>' for t, task in enumerate(tasks)]
    cells += [f'<div class="b h" style="grid-column:{L + 1};grid-row:{t + 1}"><b>head</b><br>'
              f'<small>{task} · digital</small></div>' for t, task in enumerate(tasks)]
    return f"""<style>
.net{{display:grid;grid-template-columns:repeat({L + 1},1fr);gap:6px;font-family:sans-serif;font-size:14px}}
.net .b{{border-radius:8px;padding:6px 8px;text-align:center;display:flex;flex-direction:column;
justify-content:center;color:#fff;min-height:44px}}
.net .a{{background:{PLACEMENT_COLORS['shared (analog)']}}} .net .d{{background:{PLACEMENT_COLORS['task-specific (digital)']}}}
.net .h{{background:#6c757d}}
</style><div class="net">{''.join(cells)}</div>"""


@st.fragment
def mapping_panel():
    """Threshold sliders and everything that depends on them (reruns alone)."""
    tau0, alpha0, beta0 = thresholds(exp)
    ranges = {"tau": (tau0, TAU_MAX, TAU_STEP), "alpha": (alpha0, 1.0, 0.05), "beta": (beta0, BETA_MAX, 0.05)}
    for key, (start, hi, step) in ranges.items():  # start values, kept inside this experiment's ranges
        val = snap(st.session_state.get(key, start), 0.0, hi, step)
        if st.session_state.get(key) != val:
            st.session_state[key] = val
    s1, s2, s3 = st.columns(3, gap="large")
    tau = s1.slider("τ — score threshold", 0.0, TAU_MAX, step=TAU_STEP, key="tau", format="%.4f",
                    help="share layers while their score stays at or below τ")
    alpha = s2.slider("α — Shapley weighting of JSD", 0.0, 1.0, step=0.05, key="alpha")
    beta = s3.slider("β — weight of the accuracy-loss term", 0.0, BETA_MAX, step=0.05, key="beta")
    save_thresholds(tau, alpha, beta)

    dec = choose(stats, tau, alpha, beta)
    k = dec["k"]
    doc = build_mapping(stats, tau, alpha, beta)
    summ = doc["summary"]

    m = st.columns(7)
    m[0].metric("Shared prefix k*", f"{k} / {len(names)}")
    m[1].metric("Shared", f"{100 * summ['shared_portion']:.1f} %",
                help="shared portion: parameters of the shared layers / all parameters of the deployed model")
    m[2].metric("Analog params", fmt_params(summ["analog_params"]))
    m[3].metric("Digital params", fmt_params(summ["digital_params"]))
    m[4].metric("Analog MACs", f"{summ['analog_mac_pct']:.1f} %")
    m[5].metric("Reduction", f"{summ['param_reduction']:.2f}×",
                help="parameter reduction: T task-specific models' parameters / deployed model's parameters")
    nd = 1 if unit == "%" else 3
    m[6].metric("1-day avg", f"{scale * summ['predicted_1day_perf']:.{nd}f} {unit}".strip(),
                help="predicted from the candidate deployments: " + ", ".join(
                    f"{t}: {scale * v:.{nd}f}" for t, v in summ["predicted_1day_per_task"].items()))

    st.html(network_html(k, exp["tasks"]))
    st.caption(f"Deployed network, input on the left: the first k* = {k} layers form one shared trunk on analog "
               "PCM tiles; every later layer and each task head is a per-task copy on the digital processor.")

    placement = ["shared (analog)" if i < k else "task-specific (digital)" for i in range(len(names))]
    color = alt.Color("placement:N", scale=alt.Scale(domain=list(PLACEMENT_COLORS),
                                                     range=list(PLACEMENT_COLORS.values())),
                      legend=alt.Legend(orient="bottom", title=None))
    c1, c2 = st.columns(2, gap="large")
    scores = pd.DataFrame({"layer": names, "score": dec["score"], "JSD(α)": dec["jsd"],
                           "retention R": dec["retention"], "placement": placement})
    bars = alt.Chart(scores).mark_bar().encode(
        x=alt.X("layer:N", sort=names, title="layer (input → output)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("score:Q", title="WJSD score"), color=color,
        tooltip=["layer", alt.Tooltip("score:Q", format=".4f"), alt.Tooltip("JSD(α):Q", format=".4f"),
                 alt.Tooltip("retention R:Q", format=".3f"), "placement"])
    rule = alt.Chart(pd.DataFrame({"tau": [tau]})).mark_rule(color="black", strokeDash=[6, 3], size=2).encode(
        y="tau:Q", tooltip=[alt.Tooltip("tau:Q", format=".4f", title="τ")])
    label = rule.mark_text(align="left", dx=4, dy=-7, text=f"τ = {tau:.4f}").encode(x=alt.value(0))
    plot(c1, (bars + rule + label).properties(title="Weighted score per layer", height=320))

    pj = pair_layer_jsd(stats, alpha)
    heat = pd.DataFrame([{"layer": n, "task pair": p, "JSD": float(pj[i, j])}
                         for i, n in enumerate(names) for j, p in enumerate(stats["pairs"])])
    base = alt.Chart(heat).encode(x=alt.X("layer:N", sort=names, title="layer (input → output)", axis=alt.Axis(labelAngle=0)),
                                  y=alt.Y("task pair:N", title=None))
    plot(c2, (base.mark_rect().encode(
        color=alt.Color("JSD:Q", scale=alt.Scale(scheme="viridis"), title="JSD (bits)"),
        tooltip=["layer", "task pair", alt.Tooltip("JSD:Q", format=".4f")])
        + base.mark_text(fontSize=12).encode(
            text=alt.Text("JSD:Q", format=".3f"),
            color=alt.condition(alt.datum.JSD > float(pj.max()) / 2, alt.value("black"), alt.value("white"))))
        .properties(title=f"Inter-task JSD per layer and task pair (α = {alpha:.2f})", height=320))

    pts = pd.DataFrame(pareto(stats, np.linspace(0.0, TAU_MAX, 61), np.linspace(0.0, 1.0, 11),
                              np.linspace(0.0, BETA_MAX, 9)))
    pts["shared %"] = 100 * pts["shared_portion"]
    pts["1-day avg"] = scale * pts["perf"]
    pts["front"] = np.where(pts["pareto"], "Pareto optimal", "dominated")
    cur = pd.DataFrame({"shared %": [100 * summ["shared_portion"]], "1-day avg": [scale * dec["perf"]],
                        "k": [k]})
    enc = {"x": alt.X("shared %:Q", title="shared portion of parameters (%)"),
           "y": alt.Y("1-day avg:Q", title=f"predicted 1-day average {unit or 'metric'}", scale=alt.Scale(zero=False))}
    front = alt.Chart(pts[pts["pareto"]]).mark_line(color="#e4572e", strokeDash=[4, 2]).encode(**enc)
    dots = alt.Chart(pts).mark_circle(size=110).encode(
        **enc, color=alt.Color("front:N", scale=alt.Scale(domain=["Pareto optimal", "dominated"],
                                                          range=["#e4572e", "#9aa5b1"]), title=None),
        tooltip=["k", alt.Tooltip("shared %:Q", format=".1f"), alt.Tooltip("1-day avg:Q", format=".2f"),
                 alt.Tooltip("tau:Q", format=".4f"), "alpha", "beta"])
    text = alt.Chart(pts).mark_text(dy=-12, fontSize=11).encode(**enc, text=alt.Text("k:Q", format="k=d"))
    mark = alt.Chart(cur).mark_point(shape="diamond", size=400, filled=False, strokeWidth=3, color="black").encode(
        **enc, tooltip=["k", alt.Tooltip("1-day avg:Q", format=".2f")])
    c3, c4 = st.columns([3, 2], gap="large")
    plot(c3, (front + dots + text + mark).properties(
        title="Pareto front over a (τ, α, β) grid — ◇ current choice", height=320))
    with c4:
        st.markdown("**Per-layer decision**")
        st.dataframe(pd.DataFrame([{"layer": l["name"], "placement": l["placement"], "score": l["score"],
                                    "JSD(α=0)": l["jsd"], "JSD(α=1)": l["importance"],
                                    "R": l["retention"], "params": l["params"]} for l in doc["layers"]]),
                     hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.4f")
                                    for c in ("score", "JSD(α=0)", "JSD(α=1)", "R")})
        st.download_button("Download mapping.json", icon=":material/download:", data= dumps(doc), file_name="mapping.json",
                           mime="application/json", key="download", type="primary", on_click="ignore")


mapping_panel()

st.divider()
st.subheader("Load a mapping JSON")
up = st.file_uploader("Check a mapping.json file against the schema", type=["json"], key="upload")
if up is not None:
    try:
        try:
            loaded = json.loads(up.getvalue().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise MHLMError(f"mapping: {up.name} is not valid JSON ({err})") from None
        validate_mapping(loaded)
    except MHLMError as err:
        st.error(str(err))
    else:
        s = loaded["summary"]
        st.success(f"{up.name} is a valid mapping for **{loaded['dataset']} / {loaded['backbone']}** "
                   f"({', '.join(loaded['tasks'])}); thresholds {loaded['thresholds']}.")
        m = st.columns(5)
        m[0].metric("Shared prefix k*", s["shared_prefix"])
        m[1].metric("Shared portion", f"{100 * s['shared_portion']:.1f} %")
        m[2].metric("Analog params", fmt_params(s["analog_params"]))
        m[3].metric("Digital params", fmt_params(s["digital_params"]))
        m[4].metric("Analog MACs", f"{s['analog_mac_pct']:.1f} %")
        if (loaded["dataset"], loaded["backbone"]) != (stats["dataset"], stats["backbone"]):
            st.warning("This mapping was made for another experiment than the current one.")
