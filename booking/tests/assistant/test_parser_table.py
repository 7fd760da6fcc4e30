"""The phrasing table: real phrasings as passengers type them (typos, mixed case, Hinglish,
Devanagari, Kinyarwanda, SMS style, missing words), each with the query it must give. The
parser must get at least 90 % of the rows right in full; every miss is printed."""

import json
from datetime import date
from pathlib import Path

import pytest

from booking.assistant.parser import parse
from booking.assistant.query import TripQuery
from booking.assistant.stations import station_index_clear
from fleet.services import station_upsert

from .demo_stations import demo_stations  # noqa: F401 (the fixture used below)

ROWS = json.loads((Path(__file__).parent / "phrasings.json").read_text(encoding="utf-8"))
DEFAULT_TODAY = "2026-12-04"
REQUIRED_HIT_RATE = 0.9


def _outcome(row) -> dict:
    parsed = parse(
        row["text"], today=date.fromisoformat(row.get("today", DEFAULT_TODAY)), home=row.get("home")
    )
    return {"query": parsed.query.as_json(), "ask": parsed.question and parsed.question.field}


def _expected(row) -> dict:
    return {"query": TripQuery().as_json() | row["expect"], "ask": row.get("ask")}


def test_the_table_has_enough_real_rows():
    assert len(ROWS) >= 85
    assert len({row["text"] for row in ROWS}) == len(ROWS)
    for row in ROWS:
        # Every expectation is a valid query in the JSON contract.
        TripQuery.from_json(TripQuery().as_json() | row["expect"])


@pytest.mark.usefixtures("demo_stations")
def test_the_parser_gives_the_tables_query_for_at_least_90_percent_of_the_rows():
    # Rows that expect a question about a station are read with a second Kigali station
    # (Remera), which makes "Kigali" alone name two; the others with the demo's stations.
    plain = [row for row in ROWS if row.get("ask") not in ("origin", "destination")]
    asking = [row for row in ROWS if row.get("ask") in ("origin", "destination")]
    results = [(row, _outcome(row)) for row in plain]
    station_upsert(code="RW-REM", name="Kigali Remera", time_zone="Africa/Kigali", region="Kigali")
    station_index_clear()
    results += [(row, _outcome(row)) for row in asking]

    misses = [(row, got) for row, got in results if got != _expected(row)]
    for row, got in misses:
        expected = _expected(row)
        wrong = {
            key: (expected["query"][key], got["query"][key])
            for key in expected["query"]
            if expected["query"][key] != got["query"][key]
        }
        if expected["ask"] != got["ask"]:
            wrong["ask"] = (expected["ask"], got["ask"])
        print(f"MISS {row['text']!r}: (expected, got) {wrong}")
    hits = len(results) - len(misses)
    print(f"phrasing table: {hits} of {len(results)} rows right ({hits / len(results):.1%})")
    assert hits / len(results) >= REQUIRED_HIT_RATE
