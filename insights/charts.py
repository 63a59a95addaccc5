"""Server-side SVG geometry for the charts: no JavaScript chart library, and the numbers are in the HTML."""

from dataclasses import dataclass

from insights.selectors.kpis import ScoreBar

BAR_STEP = 40
BAR_WIDTH = 28
CHART_HEIGHT = 150
BASELINE = 170
WIDTH = BAR_STEP * 11
COLOURS = {"detractor": "#d92d20", "passive": "#98a2b3", "promoter": "#0f766e"}


@dataclass(frozen=True)
class SvgBar:
    bar: ScoreBar
    x: int
    y: int
    height: int
    label_x: int
    colour: str


def distribution_bars(bars: tuple[ScoreBar, ...]) -> list[SvgBar]:
    result = []
    for index, bar in enumerate(bars):
        height = round(CHART_HEIGHT * bar.height / 100)
        x = index * BAR_STEP + (BAR_STEP - BAR_WIDTH) // 2
        result.append(
            SvgBar(
                bar=bar,
                x=x,
                y=BASELINE - height,
                height=height,
                label_x=x + BAR_WIDTH // 2,
                colour=COLOURS[bar.group],
            )
        )
    return result


FUNNEL_WIDTH = 560
FUNNEL_LABEL = 130
FUNNEL_BAR_MAX = 330
FUNNEL_ROW = 38


@dataclass(frozen=True)
class FunnelBar:
    key: str
    label: str
    value: int
    conversion: str  # of the step before, "—" for the first step or without a denominator
    y: int
    width: int
    text_y: int
    value_x: int
    text: str = ""  # the value as printed: 「5件未満」 for a company's hidden registration figure
    hidden: bool = False


def funnel_bars(
    steps: list[tuple[str, str, int]], conversions: list[str], *, hidden: dict[str, str] | None = None
) -> list[FunnelBar]:
    """Horizontal bars, the widest step = FUNNEL_BAR_MAX px; a non-zero step is at least 2 px so it shows.

    `hidden`: step key → the text shown instead (a company's figure below MIN_GROUP): no bar, no number."""
    hidden = hidden or {}
    steps = [(key, label, 0 if key in hidden else value) for key, label, value in steps]
    widest = max((value for _key, _label, value in steps), default=0)
    bars = []
    for index, ((key, label, value), conversion) in enumerate(zip(steps, conversions, strict=True)):
        width = round(FUNNEL_BAR_MAX * value / widest) if widest else 0
        if value and width < 2:
            width = 2
        y = index * FUNNEL_ROW + 6
        bars.append(
            FunnelBar(
                key=key,
                label=label,
                value=value,
                conversion=conversion,
                y=y,
                width=width,
                text_y=y + 19,
                value_x=FUNNEL_LABEL + width + 6,
                text=hidden.get(key, f"{value:,}"),
                hidden=key in hidden,
            )
        )
    return bars


MONTH_CHART_HEIGHT = 140
MONTH_BASELINE = 160


@dataclass(frozen=True)
class MonthBar:
    month: str
    short: str  # under the bar: the month alone
    value: int
    x: int
    y: int
    height: int
    label_x: int
    text: str = ""  # the value as printed: 「5件未満」 / 「非表示」 for a company's hidden registration figure
    hidden: bool = False


def month_bars(
    values: list[tuple[str, int]],
    shorts: list[str],
    *,
    step: int = 44,
    width: int = 26,
    hidden: list[str] | None = None,
) -> list[MonthBar]:
    """`hidden`: per bar, "" or the text shown instead of a hidden figure (then no bar and no number)."""
    texts = hidden or [""] * len(values)
    values = [(month, 0 if text else value) for (month, value), text in zip(values, texts, strict=True)]
    tallest = max((value for _month, value in values), default=0)
    bars = []
    for index, ((month, value), short, text) in enumerate(zip(values, shorts, texts, strict=True)):
        height = round(MONTH_CHART_HEIGHT * value / tallest) if tallest else 0
        x = index * step + (step - width) // 2
        bars.append(
            MonthBar(
                month=month,
                short=short,
                value=value,
                x=x,
                y=MONTH_BASELINE - height,
                height=height,
                label_x=x + width // 2,
                text=text or f"{value:,}",
                hidden=bool(text),
            )
        )
    return bars
