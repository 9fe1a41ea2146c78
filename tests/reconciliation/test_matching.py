"""The pure matching of outside records against ledger legs, and the bank statement reader."""

from __future__ import annotations

from datetime import date

import pytest

from fundapp.core.money import Money
from fundapp.reconciliation.matching import (
    LedgerItem,
    MatchKind,
    StatementError,
    StatementLine,
    match,
    normalise_reference,
    parse_statement_csv,
    stripe_lines,
)

D = date(2026, 3, 10)


def tjs(x: int) -> Money:
    return Money(x, "TJS")


def test_statement_with_exact_missing_extra_and_difference():
    """Does a statement with exact matches, a missing entry, an extra entry and an amount difference
    come out as exactly those four kinds?"""
    lines = [
        StatementLine(1, D, tjs(150000), "RCPT-001", "Rahimov"),
        StatementLine(2, date(2026, 3, 11), tjs(-250000), "PAY 77/A", "Builder LLC"),
        StatementLine(3, D, tjs(99900), "RCPT-003", "Unknown sender"),  # not in the ledger
        StatementLine(4, date(2026, 3, 12), tjs(49000), "RCPT-004", "Karimova"),  # ledger says 50000
        StatementLine(5, date(2026, 3, 13), tjs(-1500), "", "bank fee"),  # matched on amount and date
    ]
    items = [
        LedgerItem("a", D, tjs(150000), ("rcpt-001",)),
        LedgerItem("b", D, tjs(-250000), ("PAY-77-A", "disbursement 5")),
        LedgerItem("c", D, tjs(70000), ("RCPT-002",)),  # not on the statement
        LedgerItem("d", date(2026, 3, 12), tjs(50000), ("RCPT-004",)),
        LedgerItem("e", date(2026, 3, 14), tjs(-1500), ("fee march",)),
    ]
    result = match(lines, items)
    by_line = {m.line.key: m for m in result.matches if m.line}
    assert (
        by_line[1].kind == MatchKind.MATCHED and by_line[1].item.key == "a" and by_line[1].how == "reference"
    )
    assert by_line[2].kind == MatchKind.MATCHED and by_line[2].item.key == "b"
    assert by_line[3].kind == MatchKind.MISSING_IN_LEDGER and by_line[3].item is None
    assert by_line[4].kind == MatchKind.DIFFERENCE and by_line[4].difference == tjs(-1000)
    assert by_line[5].kind == MatchKind.MATCHED and by_line[5].how == "amount_date"
    missing = result.of(MatchKind.MISSING_ON_STATEMENT)
    assert [m.item.key for m in missing] == ["c"]
    assert not result.balanced
    assert len(result.matches) == 6  # every line and every item appears exactly once


def test_every_line_and_item_is_accounted_for_once():
    """Does each statement line and each ledger item appear in exactly one result, whatever the mix?"""
    lines = [StatementLine(i, D, tjs(100 * (i % 3 + 1)), f"R{i % 4}") for i in range(12)]
    items = [LedgerItem(i, D, tjs(100 * (i % 2 + 1)), (f"R{i % 5}",)) for i in range(9)]
    result = match(lines, items)
    assert sorted(m.line.key for m in result.matches if m.line) == list(range(12))
    assert sorted(m.item.key for m in result.matches if m.item) == list(range(9))


def test_date_window_and_currency_are_respected():
    """Is a same-reference entry outside the date window, or in another currency, left unmatched?"""
    lines = [
        StatementLine(1, D, tjs(500), "REF-12345"),
        StatementLine(2, D, Money(500, "USD"), "REF-99999"),
    ]
    items = [
        LedgerItem("far", date(2026, 3, 30), tjs(500), ("REF-12345",)),
        LedgerItem("tjs", D, tjs(600), ("REF-99999",)),
    ]
    result = match(lines, items, window_days=5)
    kinds = sorted(m.kind.value for m in result.matches)
    assert kinds == ["missing_in_ledger", "missing_in_ledger", "missing_on_statement", "missing_on_statement"]


def test_reference_beats_a_nearer_amount_only_match():
    """When two ledger items have the same amount, does the one with the line's reference win?"""
    lines = [StatementLine(1, D, tjs(700), "INV-2026-0042")]
    items = [
        LedgerItem("same-day", D, tjs(700), ("other",)),
        LedgerItem("ref", date(2026, 3, 12), tjs(700), ("INV 2026 0042",)),
    ]
    result = match(lines, items)
    assert result.of(MatchKind.MATCHED)[0].item.key == "ref"


def test_fee_line_does_not_steal_the_gross_entry():
    """With a gross line and a fee line sharing a reference, is each matched to its own leg?"""
    lines = stripe_lines(
        [
            {
                "id": "txn_1",
                "amount": 10000,
                "fee": 320,
                "currency": "usd",
                "created": 1773100800,
                "source": "ch_9",
            }
        ]
    )
    on = lines[0].on
    items = [
        LedgerItem("fee", on, Money(-320, "USD"), ("ch_9",)),
        LedgerItem("gross", on, Money(10000, "USD"), ("ch_9",)),
    ]
    result = match(lines, items)
    pairs = {m.line.key: m.item.key for m in result.matches}
    assert pairs == {"txn_1": "gross", "txn_1:fee": "fee"}
    assert result.balanced


def test_normalise_reference():
    """Are spaces, dashes and case ignored in references, Cyrillic letters kept?"""
    assert normalise_reference(" pay-77/a ") == "PAY77A"
    assert normalise_reference("Қарз №5") == "ҚАРЗ5"
    assert normalise_reference(None) == ""


# -- the bank statement reader ----------------------------------------------------------------


def test_reads_a_semicolon_statement_in_russian_with_decimal_commas():
    """Does a Russian-headed, semicolon-separated statement with "1 234,50" amounts read exactly?"""
    data = (
        "Дата;Сумма;Валюта;Назначение;Контрагент\n"
        "10.03.2026;1 234,50;TJS;RCPT-1;Рахимов\n"
        "11.03.2026;-20;tjs;;\n"
    )
    lines, errors = parse_statement_csv(data.encode("utf-8"))
    assert errors == []
    assert lines[0].amount == tjs(123450) and lines[0].on == D and lines[0].counterparty == "Рахимов"
    assert lines[1].amount == tjs(-2000) and lines[1].reference == ""


def test_reads_cp1251_and_a_bom():
    """Are a Windows-1251 file and a UTF-8 file with a byte-order mark both read?"""
    data = "Дата,Сумма,Валюта\n2026-03-10,5.00,TJS\n"
    assert parse_statement_csv(data.encode("cp1251"))[0][0].amount == tjs(500)
    assert parse_statement_csv(b"\xef\xbb\xbf" + data.encode())[0][0].amount == tjs(500)


def test_each_bad_line_gets_its_own_error():
    """Does every bad line get an error naming its line number and field, while good lines still read?"""
    data = (
        "date,amount,currency,reference,counterparty\n"
        "2026-03-10,10.00,TJS,A,B\n"
        "2026-02-30,10.00,TJS,A,B\n"
        "2026-03-10,ten,TJS,A,B\n"
        "2026-03-10,10.001,TJS,A,B\n"
        "2026-03-10,10.00,XXX,A,B\n"
        "2026-03-10,0,TJS,A,B\n"
        "\n"
        "2026-03-11,1e3,TJS,A,B\n"
    )
    lines, errors = parse_statement_csv(data.encode())
    assert [(e.line_no, e.field) for e in errors] == [
        (3, "date"),
        (4, "amount"),
        (5, "amount"),
        (6, "currency"),
        (7, "amount"),
        (9, "amount"),  # an exponent is not how a bank writes an amount
    ]
    assert [ln.key for ln in lines] == [2]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"when,how much\n2026-01-01,5\n", "columns:date,amount,currency"),
        (b"date,amount,currency\n", "no_lines"),
        (b"date,amount,currency\n\x00\x01", "binary"),
    ],
)
def test_unreadable_statements_are_refused_as_a_whole(data, reason):
    """Is an empty file, one without the needed columns, or a binary one refused with a clear reason?"""
    with pytest.raises(StatementError) as info:
        parse_statement_csv(data)
    assert str(info.value) == reason


def test_a_default_currency_may_stand_in_for_the_column():
    """Can a statement without a currency column be read when the account's currency is given?"""
    lines, errors = parse_statement_csv(b"date,amount\n2026-03-10,5\n", default_currency="TJS")
    assert not errors and lines[0].amount == tjs(500)
