"""Random postings, reversals, two-phase transfers and repeated idempotency keys, checked step by
step against a plain Python model of the books (hypothesis state machine, on the active engine)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from fundapp.core.errors import InsufficientFunds, InvalidTransition, NotPermitted
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.ledger import sealing
from fundapp.ledger import services as L
from fundapp.ledger.verify import Report, check_sequence, check_sums

_examples = itertools.count(1)


def test_the_ledger_behaves_like_its_model(app, make_user):
    """After any sequence of operations, do balances, reservations, entries and the database's
    own checks agree with a simple model, with no restricted account ever negative?"""
    creator, approver = make_user("treasurer"), make_user("treasurer")

    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            # every example uses its own project accounts (ids never reused), so no cleanup is needed
            n = next(_examples)
            self.prefix = f"ex{n}"
            self.projects = [L.project_account(n * 10 + i, "TJS") for i in range(3)]
            self.bank = L.get_account("bank", "TJS")
            db.session.commit()
            self.accounts = {a.id: a for a in [*self.projects, self.bank]}
            self.balance = {a.id: L.balance(a).amount for a in self.accounts.values()}
            self.reserved = {
                a.id: L.balance(a).amount - L.available(a).amount for a in self.accounts.values()
            }
            self.keys: dict[str, int] = {}
            self.entries: dict[int, dict] = {}  # id -> {"legs": [...], "reversal": bool, "reversed": bool}
            self.pending: list[dict] = []
            self.counter = itertools.count(1)

        # -- the model's arithmetic ----------------------------------------------------------
        def _delta(self, legs):
            out = {}
            for acc, direction, amount in legs:
                natural = amount if (direction == "debit") == acc.account_type.debit_normal else -amount
                out[acc.id] = out.get(acc.id, 0) + natural
            return out

        def _fits(self, legs, release=None):
            release = release or {}
            for acc_id, d in self._delta(legs).items():
                acc = self.accounts[acc_id]
                new = self.balance[acc_id] + d
                if acc.no_negative and (
                    new < 0 or new - (self.reserved[acc_id] - release.get(acc_id, 0)) < 0
                ):
                    return False
            return True

        def _apply(self, legs):
            for acc_id, d in self._delta(legs).items():
                self.balance[acc_id] += d

        def _legs(self, kind, a, b, amount):
            pa, pb = self.projects[a], self.projects[b]
            if kind == "in":
                return [(self.bank, "debit", amount), (pa, "credit", amount)]
            if kind == "out":
                return [(pa, "debit", amount), (self.bank, "credit", amount)]
            return [(pa, "debit", amount), (pb, "credit", amount)]

        @staticmethod
        def _specs(legs):
            return [
                L.Leg.debit(acc, Money(m, "TJS")) if d == "debit" else L.Leg.credit(acc, Money(m, "TJS"))
                for acc, d, m in legs
            ]

        # -- rules ---------------------------------------------------------------------------
        @rule(
            kind=st.sampled_from(["in", "in", "out", "move"]),
            a=st.integers(0, 2),
            b=st.integers(0, 2),
            amount=st.integers(1, 5000),
        )
        def post(self, kind, a, b, amount):
            legs = self._legs(kind, a, b, amount)
            key = f"{self.prefix}:post:{next(self.counter)}"
            if self._fits(legs):
                entry = L.post_entry(
                    {"in": "donation", "out": "disbursement", "move": "transfer"}[kind],
                    self._specs(legs),
                    memo=f"{kind} {amount}",
                    idempotency_key=key,
                )
                db.session.commit()
                self._apply(legs)
                self.keys[key] = entry.id
                self.entries[entry.id] = {"legs": legs, "reversal": False, "reversed": False}
            else:
                try:
                    L.post_entry("disbursement", self._specs(legs), memo="x", idempotency_key=key)
                except InsufficientFunds:
                    db.session.rollback()
                else:
                    raise AssertionError("a posting beyond the available balance went through")

        @precondition(lambda self: self.keys)
        @rule(data=st.data())
        def repeat_a_key(self, data):
            key = data.draw(st.sampled_from(sorted(self.keys)))
            legs = self._legs("in", 0, 0, 1)  # different legs on purpose: the key wins
            entry = L.post_entry("donation", self._specs(legs), memo="retry", idempotency_key=key)
            db.session.commit()
            assert entry.id == self.keys[key]

        @precondition(lambda self: self.entries)
        @rule(data=st.data())
        def reverse(self, data):
            from fundapp.ledger.models import JournalEntry

            entry_id = data.draw(st.sampled_from(sorted(self.entries)))
            info = self.entries[entry_id]
            entry = db.session.get(JournalEntry, entry_id)
            key = f"{self.prefix}:rev:{next(self.counter)}"
            flipped = [(acc, "credit" if d == "debit" else "debit", m) for acc, d, m in info["legs"]]
            if info["reversal"] or info["reversed"]:
                expected = InvalidTransition
            elif not self._fits(flipped):
                expected = InsufficientFunds
            else:
                expected = None
            if expected is None:
                rev = L.reverse_entry(entry, memo="correction", idempotency_key=key)
                db.session.commit()
                assert rev.reverses_id == entry_id
                self._apply(flipped)
                info["reversed"] = True
                self.keys[key] = rev.id
                self.entries[rev.id] = {"legs": flipped, "reversal": True, "reversed": False}
            else:
                try:
                    L.reverse_entry(entry, memo="correction", idempotency_key=key)
                except expected:
                    db.session.rollback()
                else:
                    raise AssertionError(f"expected {expected.__name__}")

        @rule(a=st.integers(0, 2), amount=st.integers(1, 5000))
        def create_pending(self, a, amount):
            legs = self._legs("out", a, a, amount)
            key = f"{self.prefix}:pend:{next(self.counter)}"
            pa = self.projects[a]
            fits = self.balance[pa.id] - self.reserved[pa.id] - amount >= 0
            if fits:
                p = L.create_pending(
                    "disbursement", self._specs(legs), memo="payout", idempotency_key=key, actor=creator
                )
                db.session.commit()
                self.reserved[pa.id] += amount
                self.reserved[self.bank.id] += amount
                self.pending.append(
                    {"id": p.id, "legs": legs, "amount": amount, "project": pa.id, "open": True}
                )
            else:
                try:
                    L.create_pending(
                        "disbursement", self._specs(legs), memo="payout", idempotency_key=key, actor=creator
                    )
                except InsufficientFunds:
                    db.session.rollback()
                else:
                    raise AssertionError("a reservation beyond the available balance went through")

        @precondition(lambda self: self.pending)
        @rule(data=st.data(), post=st.booleans(), same_person=st.booleans())
        def resolve_pending(self, data, post, same_person):
            from fundapp.ledger.models import PendingTransfer

            info = data.draw(st.sampled_from(self.pending))
            p = db.session.get(PendingTransfer, info["id"])
            if not info["open"]:
                try:
                    (L.post_pending(p, actor=approver) if post else L.void_pending(p, actor=approver))
                except InvalidTransition:
                    db.session.rollback()
                    return
                raise AssertionError("a pending transfer was resolved twice")
            if same_person:
                try:
                    L.post_pending(p, actor=creator) if post else L.void_pending(p, actor=creator)
                except NotPermitted:
                    db.session.rollback()
                    return
                raise AssertionError("the creator resolved their own pending transfer")
            if post:
                L.post_pending(p, actor=approver)
                self._apply(info["legs"])
            else:
                L.void_pending(p, actor=approver)
            db.session.commit()
            self.reserved[info["project"]] -= info["amount"]
            self.reserved[self.bank.id] -= info["amount"]
            info["open"] = False

        @rule()
        def seal(self):
            sealing.make_checkpoint()
            db.session.commit()

        # -- invariants ----------------------------------------------------------------------
        @invariant()
        def balances_match_the_model(self):
            for acc_id, acc in self.accounts.items():
                assert L.balance(acc).amount == self.balance[acc_id], acc
                assert L.balance(acc).amount - L.available(acc).amount == self.reserved[acc_id], acc
                if acc.no_negative:
                    assert self.balance[acc_id] >= 0 and self.balance[acc_id] >= self.reserved[acc_id]

        @invariant()
        def the_books_hold(self):
            report = Report()
            check_sums(report)
            assert report.ok, report.problems

        def teardown(self):
            sealing.make_checkpoint()
            db.session.commit()
            report = Report()
            check_sequence(report)
            assert report.ok, report.problems

    run = LedgerMachine.TestCase
    run.settings = settings(
        max_examples=30,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    run().runTest()
