"""How a grid cell is painted: Qt's own item (picture, name, culling line), and on the picture a
heart badge with the number of clients who favourited it.

The count comes from the model's page of records (fetched with its favourites in one query per
page), so painting never queries the catalogue.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from gallery_desktop.ui.grid_model import MediaGridModel

BADGE_COLOUR = QColor(214, 51, 108, 235)  # a client's heart: pink, whatever the theme
BADGE_TEXT = QColor("white")
BADGE_HEIGHT = 20
BADGE_MARGIN = 5  # from the picture's top right corner


def heart(x: float, y: float, size: float) -> QPainterPath:
    """A heart filling the square (x, y, size): two lobes meeting at the point below."""
    path = QPainterPath()
    tip, top = QPointF(x + size / 2, y + size * 0.92), QPointF(x + size / 2, y + size * 0.28)
    path.moveTo(tip)
    path.cubicTo(
        x - size * 0.08, y + size * 0.5, x + size * 0.12, y - size * 0.08, top.x(), top.y()
    )
    path.cubicTo(
        x + size * 0.88, y - size * 0.08, x + size * 1.08, y + size * 0.5, tip.x(), tip.y()
    )
    path.closeSubpath()
    return path


def badge_rect(picture: QRect, count: int, font: QFont) -> QRectF:
    """Where the badge goes: inside the picture's top right corner."""
    width = BADGE_HEIGHT + QFontMetrics(font).horizontalAdvance(str(count)) + 8
    return QRectF(
        picture.right() + 1 - BADGE_MARGIN - width,
        picture.top() + BADGE_MARGIN,
        width,
        BADGE_HEIGHT,
    )


def badge_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setBold(True)
    font.setPixelSize(12)
    return font


def paint_badge(painter: QPainter, picture: QRect, count: int, base_font: QFont) -> QRectF:
    """A pink pill with a white heart and the count; returns where it was drawn."""
    font = badge_font(base_font)
    rect = badge_rect(picture, count, font)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(BADGE_COLOUR)
    painter.drawRoundedRect(rect, BADGE_HEIGHT / 2, BADGE_HEIGHT / 2)
    painter.setBrush(BADGE_TEXT)
    size = BADGE_HEIGHT - 8
    painter.drawPath(heart(rect.left() + 5, rect.top() + 4.5, size))
    painter.setPen(BADGE_TEXT)
    painter.setFont(font)
    text_box = rect.adjusted(size + 7, 0, -4, 0)
    painter.drawText(text_box, int(Qt.AlignmentFlag.AlignCenter), str(count))
    painter.restore()
    return rect


class MediaCellDelegate(QStyledItemDelegate):
    """Qt's cell, plus the favourites badge for photos clients favourited."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        count = index.data(MediaGridModel.FavouriteCountRole)
        if count:
            paint_badge(painter, self.picture_rect(option, index), int(count), option.font)

    def picture_rect(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QRect:
        """Where Qt's own painting put the picture in this cell."""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        return style.subElementRect(QStyle.SubElement.SE_ItemViewItemDecoration, opt, widget)
