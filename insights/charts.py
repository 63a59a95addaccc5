"""Server-side SVG geometry for the charts: no JavaScript chart library, and the numbers are in the HTML."""

from dataclasses import dataclass

from insights.kpis import ScoreBar

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
