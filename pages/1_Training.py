"""Training page (paper Fig. 3): loss and mean inter-task JSD per epoch for the four training
strategies, validation metric per task, and the final per-layer JSD."""
import altair as alt
import pandas as pd
import streamlit as st

from app_common import get_experiment, metric_scale, plot, setup_page

setup_page("Training")
exp = get_experiment()
if exp is None:
    st.stop()

ORDER = ["plain", "noise", "joint", "noise+joint"]
LABELS = {"plain": "plain", "noise": "weight noise (HWA)", "joint": "joint KL loss",
          "noise+joint": "noise + joint (MHLM)"}
strategies = [s for s in ORDER if s in exp["histories"]] + [s for s in exp["histories"] if s not in ORDER]
scale, unit = metric_scale(exp)
rows = []
for s in strategies:
    for rec in exp["histories"][s]:
        base = {"strategy": LABELS.get(s, s), "epoch": rec["epoch"], "loss": rec["loss"],
                "task loss": rec["task_loss"], "joint loss": rec["joint_loss"], "mean JSD": rec["jsd"]}
        for task, v in rec["val"].items():
            rows.append({**base, "task": task, "val": scale * v})
df = pd.DataFrame(rows)
per_epoch = df.drop_duplicates(["strategy", "epoch"])
color = alt.Color("strategy:N", sort=[LABELS[s] for s in ORDER], title="strategy",
                  scale=alt.Scale(scheme="tableau10"), legend=alt.Legend(orient="bottom", columns=2))
cfg = exp["config"]
st.caption(f"{len(exp['tasks'])} task-specific copies of the **{cfg['backbone']}** backbone trained for "
           f"{cfg['epochs']} epochs with each strategy · σ = {cfg['sigma']} (weight noise), "
           f"λ = {cfg['lam']} (joint KL loss). Lower JSD = more similar task copies = more layers shareable.")


def lines(data, y, title, y_title):
    return (alt.Chart(data, title=title).mark_line(point=True)
            .encode(x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1), title="epoch"),
                    y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)), color=color,
                    tooltip=["strategy", "epoch", alt.Tooltip(f"{y}:Q", format=".4f")])
            .properties(height=300))


c1, c2 = st.columns(2)
plot(c1, lines(per_epoch, "loss", "Training loss per epoch", "loss (task CE + λ·KL)"))
plot(c2, lines(per_epoch, "mean JSD", "Mean inter-task JSD per epoch",
                      "JSD (bits, mean over layers & pairs)"))

st.subheader(f"Validation {'accuracy' if unit == '%' else 'metric'} per task")
val_chart = (alt.Chart(df).mark_line(point=True)
             .encode(x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1)),
                     y=alt.Y("val:Q", title=f"validation {unit or 'metric'}", scale=alt.Scale(zero=False)),
                     color=color, tooltip=["strategy", "task", "epoch", alt.Tooltip("val:Q", format=".2f")])
             .properties(height=220, width=300)
             .facet(column=alt.Column("task:N", title=None, sort=exp["tasks"])))
st.altair_chart(val_chart)

last = [{"strategy": LABELS.get(s, s), "layer": name, "JSD": v}
        for s in strategies
        for name, v in zip([r["name"] for r in exp["stats"]["layers"]], exp["histories"][s][-1]["jsd_layers"])]
st.subheader("Per-layer inter-task JSD after training")
plot(st, alt.Chart(pd.DataFrame(last)).mark_bar()
                .encode(x=alt.X("layer:N", sort=None, title="layer (input → output)", axis=alt.Axis(labelAngle=0)),
                        xOffset=alt.XOffset("strategy:N", sort=[LABELS[s] for s in ORDER]),
                        y=alt.Y("JSD:Q", title="JSD (bits)"), color=color,
                        tooltip=["strategy", "layer", alt.Tooltip("JSD:Q", format=".4f")])
                .properties(height=280))
st.caption("JSD between the tasks' channel distributions at each layer after the last epoch, per strategy: "
           "layers where the copies agree (low JSD) are the candidates for sharing on analog tiles; the "
           "joint loss (λ) pulls the copies together.")
