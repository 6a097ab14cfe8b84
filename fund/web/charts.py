"""A monthly bar chart drawn on the server as SVG: no script, no CDN, readable without colour.

Each month gets a bar for what was received and, inside it, the net kept;
the numbers are also in the table under the chart (and in each bar's title).
"""
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 240
LEFT, BOTTOM, TOP = 64, 28, 12


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    received_y: float
    received_height: float
    net_y: float
    net_height: float
    label: str
    received: int
    net: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list
    ticks: list       # [(y, amount)]
    baseline: float


def _nice_ceiling(value):
    """A round maximum for the axis: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def monthly(points):
    """points: [(label, received, net)] → Chart geometry for the template."""
    top = _nice_ceiling(max([received for _label, received, _net in points] + [0]))
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(points), 1)
    baseline = HEIGHT - BOTTOM

    def y(amount):
        return baseline - plot_height * max(amount, 0) / top

    bars = []
    for index, (label, received, net) in enumerate(points):
        x = LEFT + index * slot + slot * 0.15
        bars.append(Bar(x=round(x, 1), width=round(slot * 0.7, 1), received_y=round(y(received), 1),
                        received_height=round(baseline - y(received), 1), net_y=round(y(net), 1),
                        net_height=round(baseline - y(net), 1), label=label, received=received,
                        net=net))
    ticks = [(round(y(top * step / 4), 1), top * step // 4) for step in range(5)]
    return Chart(width=WIDTH, height=HEIGHT, bars=bars, ticks=ticks, baseline=baseline)
