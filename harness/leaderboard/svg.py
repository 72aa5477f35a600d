"""Charts as inline SVG strings, drawn here so the site needs no plotting library or script.

Every piece of text is escaped; the output is safe to embed with Jinja's `|safe`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from harness.leaderboard.scores import CurvePoint

PALETTE = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d")
OTHER = "#9ca3af"


@dataclass(frozen=True)
class Frame:
    """Plot area inside an SVG canvas and the data ranges mapped onto it."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x0: float
    x1: float
    y0: float
    y1: float

    def x(self, value: float) -> float:
        span = self.x1 - self.x0 or 1.0
        return round(self.left + (value - self.x0) / span * (self.width - self.left - self.right), 2)

    def y(self, value: float) -> float:
        span = self.y1 - self.y0 or 1.0
        return round(self.height - self.bottom - (value - self.y0) / span * (self.height - self.top - self.bottom), 2)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    step = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= step * mult:
            step *= mult
            break
    start = math.ceil(lo / step - 1e-9) * step
    ticks, value = [], start
    while value <= hi + 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def tick_label(value: float) -> str:
    return f"{value:g}" if abs(value) >= 1 or value == 0 else f"{value:.2f}".rstrip("0")


def axes(f: Frame, xticks: list[float], yticks: list[float], xlabel: str, ylabel: str) -> list[str]:
    out = [f'<rect class="plot-bg" x="{f.left}" y="{f.top}" width="{f.width - f.left - f.right}" '
           f'height="{f.height - f.top - f.bottom}"/>']
    for t in yticks:
        y = f.y(t)
        out.append(f'<line class="grid" x1="{f.left}" x2="{f.width - f.right}" y1="{y}" y2="{y}"/>')
        out.append(f'<text class="tick" x="{f.left - 6}" y="{y + 4}" text-anchor="end">{tick_label(t)}</text>')
    for t in xticks:
        x = f.x(t)
        label = escape(tick_label(t))
        out.append(f'<line class="grid" x1="{x}" x2="{x}" y1="{f.top}" y2="{f.height - f.bottom}"/>')
        out.append(f'<text class="tick" x="{x}" y="{f.height - f.bottom + 16}" text-anchor="middle">{label}</text>')
    mid_x = (f.left + f.width - f.right) / 2
    mid_y = (f.top + f.height - f.bottom) / 2
    out.append(f'<text class="axis-label" x="{mid_x}" y="{f.height - 6}" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(f'<text class="axis-label" transform="translate(14 {mid_y}) rotate(-90)" '
               f'text-anchor="middle">{escape(ylabel)}</text>')
    return out


def svg(width: int, height: int, title: str, body: list[str], css_class: str) -> str:
    return (f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def learning_curve_svg(curves: dict[str, list[CurvePoint]], title: str,
                       reward_range: tuple[float, float] = (0.0, 1.0)) -> str:
    """Mean reward per episode: one series per template (the most used in colour), all pooled in black."""
    pooled = curves.get("", [])
    series = {k: v for k, v in curves.items() if k}
    episodes = [p.episode for p in pooled] or [0]
    rewards = [p.mean_reward for points in curves.values() for p in points] or [0.0]
    lo, hi = min(reward_range[0], min(rewards)), max(reward_range[1], max(rewards))
    first, last = min(episodes) + 1, max(episodes) + 1
    pad = 0.5 if first == last else 0.04 * (last - first)
    margin = 0.04 * (hi - lo)
    f = Frame(760, 340, 56, 230, 14, 46, first - pad, last + pad, lo - margin, hi + margin)
    xticks = [t for t in nice_ticks(first, last, min(10, max(1, last - first))) if t == int(t)]
    body = axes(f, xticks, nice_ticks(lo, hi), "episode", "mean reward")
    ranked = sorted(series, key=lambda k: (-sum(p.samples for p in series[k]), k))
    colours = {k: PALETTE[i] if i < len(PALETTE) else OTHER for i, k in enumerate(ranked)}
    for key in reversed(ranked):  # coloured series on top of grey ones
        body.extend(_series(f, series[key], colours[key], key, 1.6, 3.2))
    body.extend(_series(f, pooled, "#111827", "all templates", 2.6, 3.8))
    legend = [("all templates", "#111827")] + [(k, colours[k]) for k in ranked[:len(PALETTE)]]
    if len(ranked) > len(PALETTE):
        legend.append((f"{len(ranked) - len(PALETTE)} other templates", OTHER))
    lx = f.width - f.right + 16
    for i, (label, colour) in enumerate(legend):
        y = f.top + 10 + 18 * i
        body.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{y}" y2="{y}" stroke="{colour}" stroke-width="3"/>'
                    f'<text class="legend" x="{lx + 24}" y="{y + 4}">{escape(label)}</text>')
    return svg(f.width, f.height, title, body, "chart learning-curve")


def _series(f: Frame, points: list[CurvePoint], colour: str, label: str, width: float,
            radius: float) -> list[str]:
    if not points:
        return []
    coords = [(f.x(p.episode + 1), f.y(p.mean_reward)) for p in points]
    out = []
    if len(coords) > 1:
        path = " ".join(f"{x},{y}" for x, y in coords)
        out.append(f'<polyline class="series" points="{path}" fill="none" stroke="{colour}" '
                   f'stroke-width="{width}"/>')
    for (x, y), p in zip(coords, points, strict=True):
        tip = f"{label}: episode {p.episode + 1}, mean reward {p.mean_reward:.3f} ({p.samples} samples)"
        out.append(f'<circle class="point" cx="{x}" cy="{y}" r="{radius}" fill="{colour}">'
                   f"<title>{escape(tip)}</title></circle>")
    return out


@dataclass(frozen=True)
class ScatterPoint:
    """One run on the score-vs-tokens plot."""

    label: str
    tokens: float
    score: float
    low: float
    high: float
    href: str


def score_tokens_svg(points: list[ScatterPoint], title: str) -> str:
    """pass@1 (with its 95% interval) against mean completion tokens per sample, one dot per run."""
    xs = [p.tokens for p in points] or [0.0]
    x_hi = max(xs) * 1.1 or 1.0
    x_lo = min(0.0, min(xs))
    f = Frame(760, 320, 56, 24, 14, 46, x_lo, x_hi, -0.03, 1.03)
    body = axes(f, nice_ticks(x_lo, x_hi), nice_ticks(0.0, 1.0), "mean completion tokens per sample",
                "pass@1 (95% interval)")
    placed: list[tuple[float, float, float]] = []
    for i, p in enumerate(points):
        colour = PALETTE[i % len(PALETTE)]
        x, y = f.x(p.tokens), f.y(p.score)
        tip = f"{p.label}: pass@1 {p.score:.3f} [{p.low:.3f}, {p.high:.3f}], {p.tokens:.0f} tokens"
        anchor = "end" if x > f.width - 200 else "start"
        dx = -8 if anchor == "end" else 8
        label_y = free_label_y(placed, x + dx, y - 6, len(p.label) * 6.2, anchor)
        body.append(
            f'<a class="run-point" href="{escape(p.href)}"><title>{escape(tip)}</title>'
            f'<line x1="{x}" x2="{x}" y1="{f.y(p.low)}" y2="{f.y(p.high)}" stroke="{colour}" stroke-width="2"/>'
            f'<line x1="{x - 4}" x2="{x + 4}" y1="{f.y(p.low)}" y2="{f.y(p.low)}" stroke="{colour}" stroke-width="2"/>'
            f'<line x1="{x - 4}" x2="{x + 4}" y1="{f.y(p.high)}" y2="{f.y(p.high)}" stroke="{colour}" stroke-width="2"/>'
            f'<circle cx="{x}" cy="{y}" r="5" fill="{colour}"/>'
            f'<text class="point-label" x="{x + dx}" y="{label_y}" text-anchor="{anchor}">{escape(p.label)}</text></a>')
    return svg(f.width, f.height, title, body, "chart score-tokens")


def free_label_y(placed: list[tuple[float, float, float]], x: float, y: float, width: float,
                 anchor: str) -> float:
    """A baseline near `y` where a label of `width` overlaps no label placed before (then records it)."""
    left = x - width if anchor == "end" else x
    for offset in (0, 16, -14, 30, -28, 44, -42, 58):
        candidate = y + offset
        if all(abs(candidate - py) >= 13 or left + width <= pl or pl + pw <= left
               for pl, py, pw in placed):
            break
    else:
        candidate = y
    placed.append((left, candidate, width))
    return candidate
