"""Gallery page: a few test images with their ground truth, the digital model's predictions and
the analog deployment's predictions after PCM drift (same weights), drawn with PIL."""
import numpy as np
import streamlit as st
from PIL import Image, ImageDraw, ImageFont

from app_common import _load, config_key, get_experiment, setup_page, thresholds
from mhlm_core import MHLMError
from mhlm_core.baselines import METHODS
from mhlm_core.mapping.mhlm_mapping import choose

setup_page("Gallery")
exp = get_experiment()
if exp is None:
    st.stop()

# a fixed colour per class (tableau 10 + 2); segmentation class c > 0 and detection category c - 1 share it
PALETTE = [(78, 121, 167), (242, 142, 43), (225, 87, 89), (118, 183, 178), (89, 161, 79), (237, 201, 72),
           (176, 122, 161), (255, 157, 167), (156, 117, 95), (186, 176, 172), (23, 190, 207), (188, 189, 34)]
DISPLAY = 240  # about this many pixels per drawn image


def colour(cls):
    return PALETTE[int(cls) % len(PALETTE)]


@st.cache_data(show_spinner="Running the digital and analog models on test images…", max_entries=16)
def compute_gallery(key, tau, alpha, beta, method, n, time):
    """The core's gallery (plain arrays) for plain arguments; no drawing here."""
    from mhlm_core.reporting.gallery import gallery
    return gallery(_load(key), tau, alpha, beta, method=method, n=n, time=time)


@st.cache_resource
def font(size):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()


def class_name(task_classes, categories, cls):
    """Name of a category id (detection / classification) when the dataset names them."""
    if categories and task_classes == len(categories) and 0 <= int(cls) < len(categories):
        return categories[int(cls)]
    return str(int(cls))


def draw(image, pred, tasks, categories, min_score):
    """One upscaled RGB image with the segmentation mask overlaid and the boxes drawn, and a
    caption with the classification labels. `pred` maps task -> label | mask | boxes."""
    h, w = image.shape[:2]
    scale = max(1, DISPLAY // w)
    base = image.astype(np.float32)
    for name, kind, _ in tasks:
        if kind == "segmentation":
            mask = np.asarray(pred[name]).astype(int)
            over = np.array([(0, 0, 0)] + [colour(c - 1) for c in range(1, int(mask.max(initial=0)) + 1)],
                            dtype=np.float32)[mask]
            fg = (mask > 0)[..., None]
            base = np.where(fg, 0.35 * base + 0.65 * over, base)
    img = Image.fromarray(base.clip(0, 255).astype(np.uint8)).resize((w * scale, h * scale), Image.NEAREST)
    pen = ImageDraw.Draw(img)
    f = font(12)
    captions = []
    for name, kind, n_classes in tasks:
        value = pred[name]
        if kind == "detection":
            boxes = np.asarray(value, dtype=np.float32)
            boxes = boxes.reshape(0, 5) if boxes.size == 0 else boxes
            best = None
            if boxes.shape[1] == 6:  # predictions: [x1, y1, x2, y2, score, cls], best first
                best = float(boxes[:, 4].max()) if len(boxes) else None
                boxes = boxes[boxes[:, 4] >= min_score]
            for b in boxes:
                x1, y1, x2, y2 = (float(v) * scale for v in b[:4])
                cls = int(b[-1])
                label = class_name(n_classes, categories, cls) + (f" {b[4]:.2f}" if len(b) == 6 else "")
                pen.rectangle([x1, y1, max(x1 + 1, x2 - 1), max(y1 + 1, y2 - 1)], outline=colour(cls), width=2)
                tw, th = pen.textbbox((0, 0), label, font=f)[2:]
                ty = y1 - th - 3 if y1 >= th + 3 else y1 + 1
                tx = min(max(0.0, x1), img.width - tw - 4)
                pen.rectangle([tx, ty, tx + tw + 4, ty + th + 2], fill=colour(cls))
                pen.text((tx + 2, ty), label, fill=(255, 255, 255), font=f)
            if len(boxes) == 0:
                captions.append((name, f"no box ≥ {min_score:.2f}" + (f" (best {best:.2f})" if best else ""), False)
                                if best is not None else (name, "no boxes", False))
        elif kind == "classification":
            captions.append((name, class_name(n_classes, categories, value), True))
    return img, captions


def caption(caps, truth=None):
    """"ic: star ✓ · od: no boxes": classification labels, with ✓ / ✗ against the ground truth."""
    want = {name: text for name, text, _ in truth or []}
    return " · ".join(f"{name}: {text}" + ((" ✓" if want.get(name) == text else " ✗") if is_cls and truth else "")
                      for name, text, is_cls in caps)


cfg = exp["config"]
tau, alpha, beta = thresholds(exp)
k = choose(exp["stats"], tau, alpha, beta)["k"]
times = list(cfg.get("drift_times") or ["1d"])
n_test = exp["data"]["sizes"]["test"]

c1, c2, c3, c4 = st.columns([2, 1.2, 1, 1.4], gap="medium")
method = c1.selectbox("Method", list(METHODS), index=list(METHODS).index("mhlm"), key="gallery_method",
                      format_func=lambda m: METHODS[m].label)
n = c2.number_input("Test images", 1, max(1, min(24, n_test)), value=min(6, n_test), step=1, key="gallery_n")
time = c3.selectbox("Drift time", times, index=times.index("1d") if "1d" in times else 0, key="gallery_time",
                    help="time after programming the PCM tiles, for the analog predictions")

try:
    gal = compute_gallery(config_key(st.session_state["cfg"]), float(tau), float(alpha), float(beta), method,
                          int(n), time)
except MHLMError as err:
    st.error(str(err))
    st.stop()
tasks, categories = gal["tasks"], gal["categories"]
has_det = any(kind == "detection" for _, kind, _ in tasks)
min_score = c4.slider("Min. box score", 0.0, 1.0, 0.3, 0.05, key="gallery_score",
                      help="detection predictions below this score are hidden") if has_det else 0.0
# the colour legend names categories only where masks / boxes use them
named = categories and any(kind == "detection" or (kind == "segmentation" and n_cls == len(categories) + 1)
                           for _, kind, n_cls in tasks)

where = "MHLM at the shared prefix k\\* = " + str(gal["k"]) if method == "mhlm" else METHODS[method].label
st.markdown(f"**{where}** on the first {len(gal['items'])} test images of **{exp['data']['name']}** "
            f"(τ = {tau:.4f}, α = {alpha:.2f}, β = {beta:.2f}). Left: ground truth; middle: the digital network; "
            f"right: the same weights deployed on simulated PCM tiles, {time} after programming.")
if named:
    chips = "".join(f'<span style="display:inline-block;margin:2px 10px 2px 0"><span style="display:inline-block;'
                    f'width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:4px;'
                    f'background:rgb{colour(i)}"></span>{name}</span>' for i, name in enumerate(categories))
    st.html(f'<div style="font-family:sans-serif;font-size:14px">{chips}</div>')

heads = st.columns(3)
for col, text in zip(heads, ["Ground truth", "Digital", f"Analog after {time} drift"]):
    col.markdown(f"##### {text}")
for i, item in enumerate(gal["items"]):
    cols = st.columns(3)
    img, truth_caps = draw(item["image"], item["truth"], tasks, categories, min_score)
    cols[0].image(img, caption=caption(truth_caps) or f"test image {i + 1}", width="content")
    img, caps = draw(item["image"], item["digital"], tasks, categories, min_score)
    cols[1].image(img, caption=caption(caps, truth_caps) or "digital", width="content")
    if item["analog"] is None:
        cols[2].info("all digital: nothing to drift", icon=":material/memory:")
    else:
        img, caps = draw(item["image"], item["analog"], tasks, categories, min_score)
        cols[2].image(img, caption=caption(caps, truth_caps) or "analog", width="content")
st.caption("Segmentation masks are overlaid in the class colour; boxes carry the category name (and the "
           "score for predictions). ✓ / ✗: classification label against the ground truth.")
