"""Server-side inline SVG charts (no JavaScript): horizontal bars and lines.

Each chart has ``role="img"`` with a <title> and <desc>; pages show the same data as a table
next to it, so the numbers are available to screen readers and when printing.
"""

from __future__ import annotations

from itertools import count

from django.utils.html import escape
from django.utils.safestring import mark_safe

PALETTE = ["#0b4f9c", "#a50e0e", "#1d6b2f", "#8a5a00", "#5b2a86"]
LIGHT_COLOURS = {"green": "#1d6b2f", "amber": "#b36b00", "red": "#a50e0e", "none": "#0b4f9c"}
_ids = count(1)


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def bar_chart(title: str, desc: str, items: list[dict], maximum: float | None = None, unit: str = "%",
              target: float | None = None) -> str:
    """``items``: dicts with ``label``, ``value`` (may be None) and optional ``light`` and ``href``."""
    uid = f"chart{next(_ids)}"
    width, label_w, value_w, row_h = 420, 150, 58, 28
    plot_w = width - label_w - value_w
    top = maximum or max([i["value"] or 0 for i in items] + [1])
    height = row_h * len(items) + 24
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{uid}-t {uid}-d" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>',
    ]
    for i, item in enumerate(items):
        y = 4 + i * row_h
        value = item.get("value")
        w = 0 if value is None else max(1, plot_w * min(value, top) / top)
        colour = LIGHT_COLOURS.get(item.get("light", "none"), PALETTE[0])
        label = escape(item["label"] if len(item["label"]) <= 20 else item["label"][:19] + "…")
        bar = (f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}" rx="2">'
               f'<title>{escape(item["label"])}: {_fmt(value)}{unit}</title></rect>')
        if item.get("href"):
            bar = f'<a href="{escape(item["href"])}">{bar}</a>'
        parts.append(
            f'<text x="{label_w - 6}" y="{y + row_h / 2 + 4}" text-anchor="end" font-size="13" fill="#1a1a1a">{label}</text>'
            + bar
            + f'<text x="{label_w + w + 4:.1f}" y="{y + row_h / 2 + 4}" font-size="13" fill="#1a1a1a">{_fmt(value)}{unit}</text>'
        )
    if target is not None:
        x = label_w + plot_w * min(target, top) / top
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 18}" stroke="#1a1a1a" stroke-dasharray="4 3"/>'
            f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" font-size="12" fill="#1a1a1a">chỉ tiêu {_fmt(target)}{unit}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(title: str, desc: str, labels: list[str], series: list[tuple[str, list]], maximum: float = 100,
               unit: str = "%") -> str:
    """``series``: (name, values) pairs; None values leave a gap."""
    uid = f"chart{next(_ids)}"
    width, height, left, right, top, bottom = 420, 250, 42, 24, 12, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    step = plot_w / max(n - 1, 1)

    def xy(i, v):
        return left + i * step, top + plot_h * (1 - min(v, maximum) / maximum)

    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{uid}-t {uid}-d" viewBox="0 0 {width} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>',
    ]
    for k in range(5):
        v = maximum * k / 4
        _, y = xy(0, v)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" fill="#4a4a4a">{_fmt(v)}{unit}</text>'
        )
    every = max(1, (n + 3) // 4)
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            x, _ = xy(i, 0)
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle" font-size="12" fill="#4a4a4a">{escape(label)}</text>')
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        segments, current = [], []
        for i, v in enumerate(values):
            if v is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(xy(i, v))
        if current:
            segments.append(current)
        for seg in segments:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for i, v in enumerate(values):
            if v is not None:
                x, y = xy(i, v)
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{escape(name)} {escape(labels[i])}: {_fmt(v)}{unit}</title></circle>')
        lx = left + s * 170
        parts.append(
            f'<rect x="{lx}" y="{height - 22}" width="14" height="4" fill="{colour}"/>'
            f'<text x="{lx + 20}" y="{height - 16}" font-size="13" fill="#1a1a1a">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
