"""Results page (paper Table 1 and drift figure): every method after 1 day of PCM drift, the
per-task bars with error bars, and the average metric over time after programming."""
import json

import altair as alt
import pandas as pd
import streamlit as st

from app_common import (get_experiment, log_time_axis, log_time_scale, metric_label, metric_scale, plot, setup_page,
                        thresholds)
from mhlm_core.mapping.mhlm_mapping import choose
from mhlm_core.reporting.results import drift_curves, results_document, table

setup_page("Results")
exp = get_experiment()
if exp is None:
    st.stop()

tau, alpha, beta = thresholds(exp)
k = choose(exp["stats"], tau, alpha, beta)["k"]
cfg, tasks = exp["config"], exp["tasks"]
scale, unit = metric_scale(exp)
u = f" ({unit})" if unit else ""
source = "set on the Mapping page" if "thresholds" in st.session_state else "defaults"
st.markdown(f"MHLM uses the shared prefix **k\\* = {k}** of {len(exp['stats']['layers'])} layers "
            f"(τ = {tau:.4f}, α = {alpha:.2f}, β = {beta:.2f}, {source}). Training budget: every model "
            f"gets **{cfg['epochs']} training + {cfg['ft_epochs']} fine-tuning epochs**; analog results are "
            f"mean ± std over **{cfg['repeats']}** programming/drift repeats of the simulated PCM tiles.")

if k == 0:
    st.warning(r"At these thresholds k\* = 0: nothing is shared, so the MHLM row is the all-digital "
               "task-specific model (no drift, std 0). Raise τ on the Mapping page to put layers on analog.",
               icon=":material/info:")

rows = table(exp, tau, alpha, beta)
# parameter counts in M for real networks, in k for the small ones
big = max(r["analog params (M)"] + r["digital params (M)"] for r in rows) >= 1.0
p_unit, p_scale = ("M", 1.0) if big else ("k", 1e3)
# one column per task, labelled with its metric: "ss mIoU", "od mAP", "ic accuracy"
task_col = {t: f"{t} {metric_label(exp['metrics'][t])}{u}" for t in tasks}
digits = 2 if unit == "%" else 3
show = []
for r in rows:
    row = {"method": r["method"]}
    for t in tasks:
        row[task_col[t]] = f"{scale * r[f'{t} mean']:.{digits}f} ± {scale * r[f'{t} std']:.{digits}f}"
    row.update({f"avg{u}": scale * r["avg"], "shared %": r["shared %"],
                f"analog params ({p_unit})": p_scale * r["analog params (M)"],
                f"digital params ({p_unit})": p_scale * r["digital params (M)"], "analog MAC %": r["analog MAC %"],
                "param reduction": r["param reduction"]})
    show.append(row)
st.subheader(f"Table 1 — test {'accuracy' if unit == '%' else 'metric'} after 1 day of drift")
st.dataframe(pd.DataFrame(show), hide_index=True, width="stretch", column_config={
    f"avg{u}": st.column_config.NumberColumn(format=f"%.{digits}f"),
    "shared %": st.column_config.NumberColumn(format="%.1f"),
    f"analog params ({p_unit})": st.column_config.NumberColumn(format="%.2f" if big else "%.1f"),
    f"digital params ({p_unit})": st.column_config.NumberColumn(format="%.2f" if big else "%.1f"),
    "analog MAC %": st.column_config.NumberColumn(format="%.1f"),
    "param reduction": st.column_config.NumberColumn(format="%.2f×")})
st.caption(("Task metrics: " + ", ".join(f"**{t}** {metric_label(exp['metrics'][t])}" for t in tasks)
            + " (higher is better); avg: their mean. ") * (unit != "%") + "Param reduction: parameters of T independent task-specific models divided by the deployed "
           "model's parameters. Analog MAC %: share of multiply-accumulates executed on PCM tiles.")

methods = [r["method"] for r in rows]
color = alt.Color("method:N", sort=methods, scale=alt.Scale(scheme="set2"), title=None,
                  legend=alt.Legend(orient="bottom", columns=1))
y_bar = f"1-day test {unit or 'metric'}"
bars = pd.DataFrame([{"method": r["method"], "task": t if unit == "%" else f"{t} ({metric_label(exp['metrics'][t])})", "mean": scale * r[f"{t} mean"],
                      "lo": scale * (r[f"{t} mean"] - r[f"{t} std"]), "hi": scale * (r[f"{t} mean"] + r[f"{t} std"]),
                      "std": scale * r[f"{t} std"]} for r in rows for t in tasks])
task_names = list(dict.fromkeys(bars["task"]))
enc = {"x": alt.X("task:N", sort=task_names, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=13)), "xOffset": alt.XOffset("method:N", sort=methods)}
bar_chart = (alt.Chart(bars).mark_bar().encode(
    **enc, y=alt.Y("mean:Q", title=y_bar), color=color,
    tooltip=["method", "task", alt.Tooltip("mean:Q", format=".2f"), alt.Tooltip("std:Q", format=".2f")])
    + alt.Chart(bars).mark_rule(color="black", strokeWidth=1.5).encode(
        **enc, y=alt.Y("lo:Q", title=y_bar), y2="hi:Q"))

drift = pd.DataFrame(drift_curves(exp, tau, alpha, beta))
drift["avg"], drift["std"] = scale * drift["avg"], scale * drift["std"]
drift["lo"], drift["hi"] = drift["avg"] - drift["std"], drift["avg"] + drift["std"]
times = sorted(set(drift["seconds"]))  # only the drift times this experiment evaluated
x = alt.X("seconds:Q", scale=log_time_scale(times), axis=log_time_axis(seconds=times))
base = alt.Chart(drift).encode(x=x, color=color)
y_drift = f"average test {unit or 'metric'} over tasks"
band = alt.Chart(drift).mark_area(opacity=0.15).encode(
    x=x, y=alt.Y("lo:Q", title=y_drift, scale=alt.Scale(zero=False)), y2="hi:Q",
    fill=alt.Fill("method:N", sort=methods, scale=alt.Scale(scheme="set2"), title=None,
                  legend=alt.Legend(orient="bottom", columns=1, symbolOpacity=1)))
drift_chart = (band
               + base.mark_line(point=True).encode(
                   y=alt.Y("avg:Q", title=y_drift, scale=alt.Scale(zero=False)),
                   tooltip=["method", "time", alt.Tooltip("avg:Q", format=".2f"), alt.Tooltip("std:Q", format=".2f")]))

c1, c2 = st.columns(2, gap="large")
plot(c1, bar_chart.properties(title=alt.TitleParams("Performance per task, 1 day",
                                                   subtitle="mean ± std over repeats"), height=340))
plot(c2, drift_chart.properties(title=alt.TitleParams("Average vs time after programming",
                                                     subtitle="band: ± std over repeats"), height=340))
st.caption("Digital methods do not drift; analog layers lose accuracy as PCM conductances drift "
           "(global drift compensation applied).")

st.download_button("Download results.json", icon=":material/download:", data= json.dumps(results_document(exp, tau, alpha, beta), indent=2,
                                                         default=float),
                   file_name="results.json", mime="application/json", key="download_results", on_click="ignore")
