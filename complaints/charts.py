"""The statistics page's charts as SVG drawn on the server by pygal: no script, no CDN, readable without JavaScript.

pygal's default SVG asks for its tooltip script from a CDN; ``js=[]`` turns that off, and the inline config script
it still writes (read only by that tooltip script) is dropped, so the page runs no chart code at all.
"""

from __future__ import annotations

import re

import pygal
from django.utils import translation
from pygal.style import Style

from groupchat.core.language import pick

from .categories import plain_name
from .selectors import ComplaintStatistics

_STYLE = Style(background="transparent", plot_background="transparent", colors=("#0f766e", "#94a3b8", "#e08e0b",
                                                                                 "#5b3cc4", "#ba2121"),
               font_family="system-ui, sans-serif")
_CONFIG = {"js": [], "disable_xml_declaration": True, "style": _STYLE, "width": 720, "height": 320,
           "legend_at_bottom": True, "explicit_size": False, "print_values": False}


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)


def _render(chart) -> str:
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def _months(figures: ComplaintStatistics) -> list:
    return sorted({row.month for row in figures.rows})


def received_handled_chart(figures: ComplaintStatistics) -> str:
    language = translation.get_language()
    months = _months(figures)
    chart = pygal.Bar(title=pick(language, zh="每月收到与已处理的举报", en="Reports received and handled per month"),
                      x_labels=[m.strftime("%Y-%m") for m in months], **_CONFIG)
    received = {m: 0 for m in months}
    handled = {m: 0 for m in months}
    for row in figures.rows:
        received[row.month] += row.received
        handled[row.month] += row.handled
    chart.add(pick(language, zh="收到", en="Received"), [received[m] for m in months])
    chart.add(pick(language, zh="已处理", en="Handled"), [handled[m] for m in months])
    return _render(chart)


def category_chart(figures: ComplaintStatistics, *, top: int = 8) -> str:
    """Stacked bars per month, one series per category (the ``top`` largest; the rest as "other")."""
    language = translation.get_language()
    months = _months(figures)
    totals: dict[str, int] = {}
    for row in figures.rows:
        totals[row.category] = totals.get(row.category, 0) + row.received
    leading = [code for code, _ in sorted(totals.items(), key=lambda kv: -kv[1])[:top]]
    chart = pygal.StackedBar(title=pick(language, zh="每月各类别举报", en="Reports per month and category"),
                             x_labels=[m.strftime("%Y-%m") for m in months], **_CONFIG)
    series: dict[str, dict] = {code: {m: 0 for m in months} for code in [*leading, "other"]}
    for row in figures.rows:
        series[row.category if row.category in leading else "other"][row.month] += row.received
    for code, by_month in series.items():
        if code == "other" and not any(by_month.values()):
            continue
        name = pick(language, zh="其他", en="Other") if code == "other" else plain_name(code, language)
        chart.add(name, [by_month[m] for m in months])
    return _render(chart)


def statistics_charts(figures: ComplaintStatistics) -> dict[str, str]:
    if not figures.rows:
        return {}
    return {"received_handled": received_handled_chart(figures), "categories": category_chart(figures)}
