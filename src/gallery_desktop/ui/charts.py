"""A small bar / line chart drawn with QPainter (PySide6-Essentials has no QtCharts).

Readable axes (round steps, labels that never overlap), a hovered bucket shows its value
above it and in a tooltip, an empty chart says why in words, and every colour comes from the
palette, so it reads in light and dark themes alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QHelpEvent,
    QLinearGradient,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

ChartStyle = Literal["bar", "line"]

PAD: Final = 10.0  # around the plot
TICK_GAP: Final = 8.0  # between a label and the plot
BAR_SHARE: Final = 0.72  # of a bucket's width taken by its bar
MAX_BAR: Final = 56.0  # px: a few buckets do not become slabs
TICKS: Final = 5  # about this many steps up the value axis


@dataclass(frozen=True)
class ChartPoint:
    label: str  # on the axis ("3 Mar")
    detail: str  # in the tooltip ("Mon 3 Mar 2025")
    value: float


def count_text(value: float) -> str:
    return f"{round(value):,}"


def nice_step(top: float, *, integer: bool, ticks: int = TICKS) -> float:
    """A round step (1, 2, 5 × 10ⁿ) that reaches `top` in about `ticks` steps."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return max(step, 1.0) if integer else step


class Chart(QWidget):
    """Buckets over time as bars (counts) or a line (amounts)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        style: ChartStyle = "bar",
        empty_text: str = "No data yet",
    ) -> None:
        super().__init__(parent)
        self.chart_style: ChartStyle = style
        self.empty_text = empty_text
        self.points: tuple[ChartPoint, ...] = ()
        self.value_text: Callable[[float], str] = count_text
        self.axis_text: Callable[[float], str] = count_text
        self.integer = True
        self.hovered: int | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(240, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Chart")

    # -- data ----------------------------------------------------------------------------------

    def set_points(
        self,
        points: Sequence[ChartPoint],
        *,
        value_text: Callable[[float], str] = count_text,
        axis_text: Callable[[float], str] | None = None,
        integer: bool = True,
    ) -> None:
        self.points = tuple(points)
        self.value_text = value_text
        self.axis_text = axis_text or value_text
        self.integer = integer
        self.hovered = None
        self.setAccessibleDescription(
            ", ".join(f"{p.detail}: {value_text(p.value)}" for p in self.points if p.value)
        )
        self.update()

    def set_empty_text(self, text: str) -> None:
        self.empty_text = text
        self.update()

    @property
    def is_empty(self) -> bool:
        return not any(p.value for p in self.points)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(640, 260)

    # -- geometry (also what the tests look at) ------------------------------------------------

    def _step_and_top(self) -> tuple[float, float]:
        highest = max((p.value for p in self.points), default=0.0)
        step = nice_step(highest, integer=self.integer)
        return step, max(step, math.ceil(highest / step) * step)

    def _axis_labels(self) -> list[tuple[float, str]]:
        step, top = self._step_and_top()
        n = round(top / step)
        return [(i * step, self.axis_text(i * step)) for i in range(n + 1)]

    def plot_rect(self) -> QRectF:
        fm = QFontMetricsF(self.font())
        left = max((fm.horizontalAdvance(t) for _v, t in self._axis_labels()), default=0.0)
        return QRectF(self.rect()).adjusted(
            PAD + left + TICK_GAP, PAD + fm.height(), -PAD, -(PAD + fm.height() + TICK_GAP)
        )

    def _slot(self, index: int) -> QRectF:
        plot = self.plot_rect()
        width = plot.width() / max(len(self.points), 1)
        return QRectF(plot.left() + index * width, plot.top(), width, plot.height())

    def _y(self, value: float) -> float:
        plot = self.plot_rect()
        _step, top = self._step_and_top()
        return plot.bottom() - plot.height() * (value / top if top else 0.0)

    def bar_rect(self, index: int) -> QRectF:
        """Where bucket `index`'s bar is drawn (empty for a zero)."""
        slot = self._slot(index)
        width = max(1.0, min(slot.width() * BAR_SHARE, MAX_BAR))
        top = self._y(self.points[index].value)
        return QRectF(slot.center().x() - width / 2, top, width, slot.bottom() - top)

    def point_at(self, index: int) -> QPointF:
        return QPointF(self._slot(index).center().x(), self._y(self.points[index].value))

    def index_at(self, pos: QPointF) -> int | None:
        plot = self.plot_rect()
        if not self.points or self.is_empty or not plot.adjusted(0, -PAD, 0, PAD).contains(pos):
            return None
        index = int((pos.x() - plot.left()) / (plot.width() / len(self.points)))
        return min(max(index, 0), len(self.points) - 1)

    def tooltip_text(self, index: int) -> str:
        p = self.points[index]
        return f"{p.detail}\n{self.value_text(p.value)}"

    # -- colours ------------------------------------------------------------------------------

    def _dark(self) -> bool:
        return self.palette().color(QPalette.ColorRole.Window).lightness() < 128

    def _text(self, alpha: int = 255) -> QColor:
        colour = QColor(self.palette().color(QPalette.ColorRole.WindowText))
        colour.setAlpha(alpha)
        return colour

    def bar_colour(self, hovered: bool = False) -> QColor:
        colour = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        if hovered:
            return colour.lighter(125) if self._dark() else colour.darker(118)
        return colour

    # -- painting -----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            if self.is_empty:
                self._paint_empty(painter)
                return
            self._paint_grid(painter)
            if self.chart_style == "line":
                self._paint_line(painter)
            else:
                self._paint_bars(painter)
            self._paint_x_labels(painter)
            self._paint_hover_value(painter)
        finally:
            painter.end()

    def _paint_empty(self, painter: QPainter) -> None:
        rect = QRectF(self.rect()).adjusted(PAD, PAD, -PAD, -PAD)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text
        )

    def _paint_grid(self, painter: QPainter) -> None:
        plot = self.plot_rect()
        fm = QFontMetricsF(self.font())
        for value, label in self._axis_labels():
            y = round(self._y(value)) + 0.5
            painter.setPen(QPen(self._text(110 if value == 0 else 38), 1.0))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(self._text(170))
            box = QRectF(PAD, y - fm.height() / 2, plot.left() - TICK_GAP - PAD, fm.height())
            painter.drawText(
                box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label
            )

    def _paint_bars(self, painter: QPainter) -> None:
        plot = self.plot_rect()
        painter.save()
        painter.setClipRect(plot.adjusted(0, -1, 0, 0))
        painter.setPen(Qt.PenStyle.NoPen)
        if self.hovered is not None:
            band = QColor(self.bar_colour())
            band.setAlpha(28)
            painter.fillRect(self._slot(self.hovered), band)
        for i, point in enumerate(self.points):
            if point.value <= 0:
                continue
            rect = self.bar_rect(i)
            radius = min(3.0, rect.width() / 2)
            path = QPainterPath()
            # rounded top; the bottom corners run below the clip, so they stay square
            path.addRoundedRect(rect.adjusted(0, 0, 0, radius), radius, radius)
            painter.setBrush(self.bar_colour(i == self.hovered))
            painter.drawPath(path)
        painter.restore()

    def _paint_line(self, painter: QPainter) -> None:
        plot = self.plot_rect()
        points = [self.point_at(i) for i in range(len(self.points))]
        colour = self.bar_colour()
        line = QPainterPath(points[0])
        for p in points[1:]:
            line.lineTo(p)
        area = QPainterPath(line)
        area.lineTo(points[-1].x(), plot.bottom())
        area.lineTo(points[0].x(), plot.bottom())
        area.closeSubpath()
        fill = QLinearGradient(0, plot.top(), 0, plot.bottom())
        top, bottom = QColor(colour), QColor(colour)
        top.setAlpha(90)
        bottom.setAlpha(8)
        fill.setColorAt(0, top)
        fill.setColorAt(1, bottom)
        painter.fillPath(area, fill)
        if self.hovered is not None:
            x = points[self.hovered].x()
            painter.setPen(QPen(self._text(70), 1.0, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        painter.setPen(QPen(colour, 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(line)
        dots = len(points) <= 60
        painter.setBrush(self.palette().color(QPalette.ColorRole.Base))
        for i, p in enumerate(points):
            if i == self.hovered:
                painter.setBrush(colour)
                painter.drawEllipse(p, 4.5, 4.5)
                painter.setBrush(self.palette().color(QPalette.ColorRole.Base))
            elif dots:
                painter.drawEllipse(p, 2.5, 2.5)

    def _paint_x_labels(self, painter: QPainter) -> None:
        plot = self.plot_rect()
        fm = QFontMetricsF(self.font())
        slot = plot.width() / len(self.points)
        widest = max(fm.horizontalAdvance(p.label) for p in self.points) + 12
        every = max(1, math.ceil(widest / slot))
        painter.setPen(self._text(170))
        for i, point in enumerate(self.points):
            if i % every:
                continue
            x = self._slot(i).center().x()
            box = QRectF(x - widest / 2, plot.bottom() + TICK_GAP / 2, widest, fm.height())
            if box.left() < 0 or box.right() > self.width():
                continue  # a half-shown label at the edge reads worse than none
            painter.drawText(
                box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, point.label
            )

    def _paint_hover_value(self, painter: QPainter) -> None:
        if self.hovered is None:
            return
        fm = QFontMetricsF(self.font())
        text = self.value_text(self.points[self.hovered].value)
        anchor = self.point_at(self.hovered)
        width = fm.horizontalAdvance(text) + 12
        box = QRectF(anchor.x() - width / 2, anchor.y() - fm.height() - 10, width, fm.height() + 4)
        box.moveLeft(min(max(box.left(), 0.0), self.width() - width))
        box.moveTop(max(box.top(), 0.0))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._text(225))  # the theme's text colour, as a bubble
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(self.palette().color(QPalette.ColorRole.Window))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # -- hover --------------------------------------------------------------------------------

    def set_hovered(self, index: int | None) -> None:
        if index != self.hovered:
            self.hovered = index
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        index = self.index_at(event.position())
        self.set_hovered(index)
        if index is None:
            QToolTip.hideText()
        super().mouseMoveEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.index_at(QPointF(event.pos()))
            if index is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_text(index), self)
            return True
        return super().event(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self.set_hovered(None)
        super().leaveEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self.update()
        super().changeEvent(event)
