"""app.backtest.charts: SVG text to inline, the same bytes for the same data, ids unique per page."""

import re

from app.backtest import charts


def test_a_chart_is_inline_svg_with_its_labels_as_text():
    svg = charts.bar_chart("pages", ["2026-10-05", "2026-10-12"], {"pages": [2, 1]}, title="Pages", ylabel="pages")

    assert svg.startswith('<svg role="img" aria-label="Pages" class="chart" ')
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg
    assert "<text" in svg and "2026-10-05" in svg


def test_the_same_data_draws_the_same_bytes():
    draw = lambda: charts.bar_chart("a", ["x"], {"n": [3]}, title="T", ylabel="n")  # noqa: E731
    assert draw() == draw()


def test_a_dollar_in_a_label_is_text_not_tex():
    svg = charts.bar_chart("c", ["cost $5 vs $10_x"], {"n": [1]}, title="$5 tickets", ylabel="n")
    assert "cost $5 vs $10_x" in svg and "$5 tickets" in svg


def test_two_charts_on_one_page_share_no_id():
    first = charts.bar_chart("one", ["x"], {"n": [1]}, title="A", ylabel="n")
    second = charts.hour_of_week_chart("two", [[1] * 24] * 7, [[False] * 24] * 7, title="B")

    ids = re.findall(r'\bid="([^"]+)"', first + second)
    assert len(ids) == len(set(ids))
    for reference in re.findall(r'(?:url\(#|href="#)([^)"]+)', first + second):
        assert reference in ids


def test_a_chart_refers_to_nothing_outside_itself():
    svg = charts.hour_of_week_chart("h", [[0] * 24] * 7, [[True] * 24] * 7, title="Empty week")
    assert not re.search(r'(?:href|src)="(?:https?:)?//', svg)
