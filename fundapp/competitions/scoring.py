"""The published counting method: pure functions from the tally to the results, so that anyone
holding the downloaded tally can run them (``tally.recount``) and get the published results.

**Jury.** A scorecard's raw score is the weighted mean of its criterion scores (weights from the
edition's rubric). Jurors score on different curves, so each juror's raw scores (over every
nomination they scored in the edition) become z-scores — ``(x − mean) / standard deviation``,
population deviation; a juror with one scorecard, or the same score everywhere, gives z = 0 —
and are put back on the edition's scale: ``mid + z × (max − 1) / 4`` with ``mid = (1 + max) / 2``,
kept within 1…max. A nomination's jury score is the mean of its jurors' normalised scores.
Shifting or stretching one juror's scores (a strict or a generous juror) changes nothing.

**Public.** A nomination's public share is its votes over all votes in its category, in per cent.

**Together.** ``combined = (jury weight × jury part + public weight × public share) / 100``, where
the jury part is the jury score put on 0…100 (``(score − 1) / (max − 1) × 100``). Every figure is
rounded to four decimals before ranking.

**Ties** (the published rule): equal combined scores are ordered by the higher jury score, then by
more public votes, then by the earlier nomination (lower number); the order is never left to chance.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

PLACES = 4


def _r(x: float) -> float:
    return round(x + 0.0, PLACES)


def fmt(x: float | None) -> str | None:
    return None if x is None else f"{_r(x):.{PLACES}f}"


def raw_score(scores: Mapping[str, int], weights: Mapping[str, int]) -> float:
    """The weighted mean of one scorecard's criterion scores."""
    total = sum(weights[c] for c in scores)
    return sum(weights[c] * s for c, s in scores.items()) / total


def zscores(raw: Mapping[object, float]) -> dict[object, float]:
    """One juror's z-scores; all zero when the juror gave one score or the same score everywhere."""
    n = len(raw)
    if n == 0:
        return {}
    mean = math.fsum(raw.values()) / n
    var = math.fsum((x - mean) ** 2 for x in raw.values()) / n
    sd = math.sqrt(var)
    if n < 2 or sd <= 1e-12 * max(1.0, abs(mean)):
        return dict.fromkeys(raw, 0.0)
    return {k: (x - mean) / sd for k, x in raw.items()}


def rescale(z: float, scale_max: int) -> float:
    mid = (1 + scale_max) / 2
    return min(float(scale_max), max(1.0, mid + z * (scale_max - 1) / 4))


def normalise(raw: Mapping[object, float], scale_max: int) -> dict[object, float]:
    """One juror's raw scores → normalised scores on 1…scale_max."""
    return {k: rescale(z, scale_max) for k, z in zscores(raw).items()}


def compute(
    *,
    scale_max: int,
    jury_weight: int,
    public_weight: int,
    weights: Mapping[str, int],
    nominations: list[dict],
    scorecards: list[dict],
    votes: list[dict],
) -> dict:
    """Results from the tally's parts.

    ``nominations``: ``{"id", "category", "name"}``; ``scorecards``: ``{"juror", "nomination",
    "scores": {criterion id: score}}``; ``votes``: ``{"category", "nomination"}``."""
    by_juror: dict[str, dict[int, float]] = defaultdict(dict)
    for card in scorecards:
        by_juror[str(card["juror"])][int(card["nomination"])] = raw_score(card["scores"], weights)
    normalised: dict[int, list[float]] = defaultdict(list)
    for raw in by_juror.values():
        for nid, value in normalise(raw, scale_max).items():
            normalised[nid].append(value)
    counts: dict[int, int] = defaultdict(int)
    totals: dict[int, int] = defaultdict(int)
    for vote in votes:
        counts[int(vote["nomination"])] += 1
        totals[int(vote["category"])] += 1
    categories: dict[int, list[dict]] = defaultdict(list)
    for nom in nominations:
        nid, cid = int(nom["id"]), int(nom["category"])
        values = normalised.get(nid)
        jury = _r(math.fsum(values) / len(values)) if values else None
        jury_part = 0.0 if jury is None else (jury - 1) / (scale_max - 1) * 100
        share = counts[nid] / totals[cid] * 100 if totals[cid] else 0.0
        combined = _r((jury_weight * jury_part + public_weight * share) / 100)
        categories[cid].append(
            {
                "nomination": nid,
                "name": nom["name"],
                "jurors": len(values or ()),
                "jury_score": jury,
                "public_votes": counts[nid],
                "public_share": _r(share),
                "combined": combined,
            }
        )
    out = []
    for cid in sorted(categories):
        rows = sorted(
            categories[cid],
            key=lambda r: (
                -r["combined"],
                -(r["jury_score"] if r["jury_score"] is not None else 0.0),
                -r["public_votes"],
                r["nomination"],
            ),
        )
        for place, row in enumerate(rows, start=1):
            row["place"] = place
            for key in ("jury_score", "public_share", "combined"):
                row[key] = fmt(row[key])
        out.append({"category": cid, "ranking": rows, "votes": totals[cid]})
    return {"categories": out}
