"""The report's charts, drawn with matplotlib as SVG text to inline in the page.

Settings that matter (research notes, docs/backtest.md): the Agg backend through `Figure` (no
pyplot state, no display), text kept as <text> (`svg.fonttype = none`, so the page stays
searchable and small), no TeX parsing of labels (`text.parse_math = False`: a "$" is a price),
and no date in the file with a salt per chart, so the same data draws the same bytes. The ids of
each SVG get the chart's name as a prefix, so several charts on one page never share an id.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from typing import Any

MISSING_LIBRARY = (
    "escalator backtest needs matplotlib and tqdm, which the web service does not: pip install 'escalator[backtest]'"
)

BLUE, ORANGE, GREY, RED = "#4C72B0", "#DD8452", "#8C8C8C", "#C44E52"
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ChartsUnavailable(RuntimeError):
    """matplotlib is not installed (it is the `backtest` extra)."""


def _matplotlib() -> Any:
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise ChartsUnavailable(MISSING_LIBRARY) from None
    return matplotlib, Figure


def bar_chart(
    name: str,
    labels: Sequence[str],
    series: dict[str, Sequence[int]],
    *,
    title: str,
    ylabel: str,
    colors: Sequence[str] = (BLUE, ORANGE, GREY, RED),
    stacked: bool = False,
) -> str:
    """Bars per label, one colour per series (side by side, or stacked)."""
    matplotlib, figure_class = _matplotlib()
    with matplotlib.rc_context(_style(name)):
        figure = figure_class(figsize=(7.5, 3.4), layout="constrained")
        axes = figure.subplots()
        positions = list(range(len(labels)))
        width = 0.8 if stacked or len(series) == 1 else 0.8 / len(series)
        bottoms = [0] * len(labels)
        for index, (label, values) in enumerate(series.items()):
            if stacked:
                bars = axes.bar(positions, values, width, bottom=bottoms, label=label, color=colors[index])
                bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
            else:
                offset = (index - (len(series) - 1) / 2) * width
                bars = axes.bar([p + offset for p in positions], values, width, label=label, color=colors[index])
                axes.bar_label(bars, labels=[str(v) if v else "" for v in values], fontsize=8)
        if stacked:
            axes.bar_label(bars, labels=[str(v) if v else "" for v in bottoms], fontsize=8)
        axes.set_xticks(positions, labels, fontsize=8)
        axes.set_title(title, fontsize=11)
        axes.set_ylabel(ylabel)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.spines[["top", "right"]].set_visible(False)
        if len(series) > 1:
            axes.legend(frameon=False, fontsize=8)
        return _svg(name, figure, title)


def hour_of_week_chart(name: str, counts: list[list[int]], after_hours: list[list[bool]], *, title: str) -> str:
    """A 7 x 24 grid of counts: darker is more; after-hours cells outlined."""
    matplotlib, figure_class = _matplotlib()
    with matplotlib.rc_context(_style(name)):
        figure = figure_class(figsize=(7.5, 2.9), layout="constrained")
        axes = figure.subplots()
        from matplotlib.patches import Rectangle
        from matplotlib.ticker import MaxNLocator

        mesh = axes.pcolormesh(counts, cmap="Oranges", vmin=0, edgecolors="white", linewidth=0.5)
        for day in range(7):
            for hour in range(24):
                if counts[day][hour]:
                    axes.text(hour + 0.5, day + 0.5, str(counts[day][hour]), ha="center", va="center", fontsize=7)
                if not after_hours[day][hour]:
                    axes.add_patch(Rectangle((hour, day), 1, 1, fill=False, lw=0.6, ec=BLUE))
        axes.set_xticks([h + 0.5 for h in range(0, 24, 2)], [f"{h:02d}" for h in range(0, 24, 2)], fontsize=8)
        axes.set_yticks([d + 0.5 for d in range(7)], DAY_LABELS, fontsize=8)
        axes.invert_yaxis()
        axes.set_xlabel("hour (blue outline: business hours)", fontsize=8)
        axes.set_title(title, fontsize=11)
        bar = figure.colorbar(mesh, ax=axes, shrink=0.8)
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
        return _svg(name, figure, title)


def _style(name: str) -> dict[str, Any]:
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": f"escalator-{name}",
        "text.parse_math": False,
        "font.size": 9,
    }


_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(url\(#|href="#)([^)"]+)')


def _svg(name: str, figure: Any, title: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # the XML prolog and DOCTYPE do not belong inside HTML
    svg = _ID.sub(lambda m: f'id="{name}-{m.group(1)}"', svg)
    svg = _REFERENCE.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(title)}" class="chart" ', 1)
