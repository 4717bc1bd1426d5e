"""Server-made SVG charts: well-formed, accessible, CSP-safe, and drawn to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from newledger.web.charts import bar_chart, horizontal_bar_chart, nice_ceiling, stacked_bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def assert_csp_safe(svg: str) -> None:
    root = parse(svg)
    for element in root.iter():
        assert element.tag not in (f"{SVG}style", f"{SVG}script", f"{SVG}foreignObject")
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
    assert "javascript:" not in svg


def bars(svg: str, cls: str = "bar") -> list[ET.Element]:
    return [e for e in parse(svg).iter(f"{SVG}rect") if e.get("class") == cls]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (1, 1), (3, 3), (7, 8), (10, 10), (11, 15), (150_00, 150_00), (500_001, 600_000)],
)
def test_axis_maximum_is_a_round_number_at_least_the_value(value: int, expected: int) -> None:
    assert nice_ceiling(value) == expected


def test_the_axis_ends_one_gridline_above_the_largest_bar_with_grouped_labels() -> None:
    svg = bar_chart("Spend", ["Jan", "Feb"], [50_123_45, 12_000_00], "USD", chart_id="spend")
    labels = [t.text for t in parse(svg).iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert labels == ["$60,000", "$40,000", "$20,000", "$0"]  # not 100,000
    euro = bar_chart("Spend", ["Jan"], [50_123_45], "EUR", locale="de_DE")
    assert "60.000\u00a0€" in euro


def test_expenses_by_month_chart_is_titled_and_reads_every_month_aloud() -> None:
    svg = bar_chart(
        "Expenses by month", ["2025-01", "2025-02"], [1250_00, 400_50], "USD", chart_id="exp"
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "exp-title exp-desc"
    assert root.find(f"{SVG}title").text == "Expenses by month"  # type: ignore[union-attr]
    desc = root.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert "2025-01: $1,250.00" in desc
    assert "2025-02: $400.50" in desc
    assert_csp_safe(svg)


def test_bar_heights_are_proportional_to_the_amounts() -> None:
    svg = bar_chart("Spend", ["a", "b", "c"], [100_00, 50_00, 25_00], "USD")
    heights = [int(b.get("height", "0")) for b in bars(svg)]
    assert abs(heights[0] - 2 * heights[1]) <= 1  # whole pixels
    assert abs(heights[1] - 2 * heights[2]) <= 1
    titles = [b.find(f"{SVG}title").text for b in bars(svg)]  # type: ignore[union-attr]
    assert titles == ["a: $100.00", "b: $50.00", "c: $25.00"]


def test_a_negative_month_hangs_below_the_zero_line_in_red() -> None:
    svg = bar_chart("Net", ["up", "down"], [100_00, -100_00], "USD")
    up, down = bars(svg)
    assert int(up.get("y", "0")) + int(up.get("height", "0")) == int(down.get("y", "0"))
    assert down.get("fill") != up.get("fill")


def test_an_empty_chart_says_so_instead_of_drawing_nothing() -> None:
    svg = bar_chart("Expenses by month", ["2025-01"], [0], "USD")
    assert bars(svg) == []
    assert "Nothing to show yet" in svg
    assert_csp_safe(svg)


def test_labels_cannot_inject_markup() -> None:
    evil = '<script>alert(1)</script>" onload="x'
    for svg in (
        bar_chart(evil, [evil], [1], "USD"),
        horizontal_bar_chart(evil, [evil], [1], "USD"),
        stacked_bar_chart(evil, [evil], [1], "USD"),
    ):
        assert "<script>" not in svg
        assert_csp_safe(svg)


def test_cash_position_draws_one_bar_per_bank_account_and_shows_overdrafts() -> None:
    svg = horizontal_bar_chart(
        "Cash position", ["Operating", "Savings", "Card"], [5000_00, 2500_00, -500_00], "EUR"
    )
    drawn = bars(svg)
    assert len(drawn) == 3
    widths = [int(b.get("width", "0")) for b in drawn]
    assert abs(widths[0] - 2 * widths[1]) <= 1  # whole pixels
    # The overdrawn account's bar ends at the zero line where the others start.
    assert int(drawn[2].get("x", "0")) + widths[2] == int(drawn[0].get("x", "0"))
    assert "Card: (€500.00)" in svg
    assert_csp_safe(svg)


def test_aging_buckets_fill_the_bar_exactly_and_the_legend_gives_each_amount() -> None:
    labels = ["Current", "1-30", "31-60", "61-90", "90+"]
    values = [300_00, 0, 100_00, 33_33, 1]
    svg = stacked_bar_chart("Receivables aging", labels, values, "USD", width=640)
    segments = bars(svg, "segment")
    assert len(segments) == 4  # the empty bucket draws no segment
    xs = [int(s.get("x", "0")) for s in segments]
    ws = [int(s.get("width", "0")) for s in segments]
    for i in range(3):
        assert xs[i] + ws[i] == xs[i + 1]
    assert xs[0] + sum(ws) == 640 - 12
    assert "1-30: $0.00" in svg
    assert "total: $433.34" in svg
    assert_csp_safe(svg)


def test_zero_decimal_currencies_format_without_decimals() -> None:
    svg = bar_chart("Yen", ["a"], [1500], "JPY")
    assert "a: ¥1,500" in svg


def test_mismatched_labels_and_values_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="differ"):
        bar_chart("x", ["a"], [1, 2], "USD")
