"""The Plan as IATI results (activity standard 2.03, ``iati-activity/result``): what the best
results frameworks exchange. Measures: 1 unit, 2 percentage, 5 qualitative; money is a unit
measure in whole units of its currency. Narratives carry their language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from xml.etree import ElementTree as etree  # noqa: S405 - we only write XML, never parse it

from . import evaluation, periods
from .models import ActionPoint, Source, Unit

MEASURE = {Unit.COUNT: "1", Unit.MONEY: "1", Unit.PERCENT: "2", Unit.TEXT: "5"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _value(x100: int | None) -> str | None:
    return None if x100 is None else str(Decimal(int(x100)) / 100)


def _narratives(parent, tag: str, texts: dict[str, str]) -> None:
    el = etree.SubElement(parent, tag)
    for lang, text in texts.items():
        if text:
            n = etree.SubElement(el, "narrative")
            n.set(XML_LANG, lang)
            n.text = text


def results_xml(today: date, tree_size: int) -> bytes:
    from sqlalchemy import select

    from fundapp.extensions import db

    root = etree.Element("iati-activities", version="2.03", **{"generated-datetime": today.isoformat()})
    activity = etree.SubElement(root, "iati-activity")
    etree.SubElement(activity, "iati-identifier").text = "TJ-HAMVATAN-PLAN-2021-2025"
    for point in db.session.scalars(select(ActionPoint).order_by(ActionPoint.group_id, ActionPoint.position)):
        pv = evaluation.rate_point(point, today, tree_size)
        result = etree.SubElement(activity, "result", type="1", **{"aggregation-status": "1"})
        _narratives(
            result,
            "title",
            {
                "tg": f"{point.number}. {point.text_tg}",
                "ru": f"{point.number}. {point.text_ru}",
                "en": f"{point.number}. {point.text_en}",
            },
        )
        for iv in pv.indicators:
            ind = iv.indicator
            attrs = {"measure": MEASURE[Unit(ind.unit)]}
            if ind.quantitative:
                attrs["ascending"] = "1" if ind.ascending else "0"
            indicator = etree.SubElement(result, "indicator", **attrs)
            _narratives(indicator, "title", {"tg": ind.name_tg, "ru": ind.name_ru, "en": ind.name_en})
            if ind.quantitative:
                etree.SubElement(
                    indicator, "baseline", year=str(point.starts_on.year), value=_value(ind.baseline_x100)
                )
            accepted = evaluation.accepted_values(ind) if ind.source == Source.AGENCY else {}
            for y, q in evaluation_quarters(point, today):
                first, nxt = periods.quarter_bounds(y, q)
                period = etree.SubElement(indicator, "period")
                etree.SubElement(period, "period-start", **{"iso-date": first.isoformat()})
                etree.SubElement(
                    period, "period-end", **{"iso-date": (nxt.fromordinal(nxt.toordinal() - 1)).isoformat()}
                )
                target = evaluation.target_for(ind, y, q)
                if target is not None and ind.quantitative:
                    etree.SubElement(period, "target", value=_value(target))
                if ind.quantitative:
                    if ind.source == Source.COMPUTED:
                        actual = evaluation.computed_value(ind, min(nxt, today), tree_size)
                    else:
                        actual = accepted.get((y, q))
                    if actual is not None:
                        etree.SubElement(period, "actual", value=_value(actual))
    etree.indent(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def evaluation_quarters(point: ActionPoint, today: date) -> list[tuple[int, int]]:
    return [
        yq
        for yq in periods.quarters_between(point.starts_on, point.ends_on)
        if periods.quarter_bounds(*yq)[0] <= today
    ]
