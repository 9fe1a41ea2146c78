"""The public vote and the tally: one vote per category, receipts that verify, a recount that
equals the published results, and tampering that is caught — by the database and by anyone
checking the downloaded tally."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import text

from fundapp.competitions import services, tally, voting
from fundapp.competitions.models import Ballot, TallyEntry
from fundapp.core.errors import DuplicateRequest, InvalidTransition, NotPermitted
from fundapp.extensions import db

from .conftest import old_account
from .helpers import nominate_orgs, score_all, through_eligibility


@pytest.fixture
def voting_edition(edition_factory, people):
    """An edition with a 70/30 public vote, three nominees, three jurors' scores, vote open."""
    edition = edition_factory(public_vote=True, jury_weight=70, voter_min_account_days=30)
    services.transition(edition, "open_nominations", actor=people.admin)
    noms = nominate_orgs(edition, people)
    jurors = [people.juror1, people.juror2, people.juror3]
    through_eligibility(edition, people, noms, jurors)
    score_all(
        edition, jurors, [[(9, 8), (6, 6), (3, 4)], [(5, 5), (4, 4), (2, 3)], [(10, 9), (9, 9), (8, 8)]]
    )
    services.transition(edition, "open_voting", actor=people.admin)
    db.session.commit()
    return edition, noms


def _voters(make_user, n):
    return [old_account(make_user("member")) for _ in range(n)]


def _publish(edition, people):
    services.transition(edition, "publish_results", actor=people.admin)
    db.session.commit()
    return voting.tally_document(edition)


def test_one_vote_per_category_and_only_old_confirmed_accounts(voting_edition, people, make_user):
    """Is a second vote in the same category refused, and are a new account and an unconfirmed one
    refused with a reason?"""
    edition, noms = voting_edition
    voter = old_account(make_user("member"))
    voting.cast_vote(edition, noms[0], voter=voter)
    db.session.commit()
    with pytest.raises(DuplicateRequest):
        voting.cast_vote(edition, noms[1], voter=voter)
    db.session.rollback()
    with pytest.raises(NotPermitted):
        voting.cast_vote(edition, noms[0], voter=make_user("member"))  # created today
    with pytest.raises(NotPermitted):
        voting.cast_vote(edition, noms[0], voter=old_account(make_user("member", confirmed=False)))
    assert db.session.query(Ballot).count() == 1


def test_votes_only_while_the_vote_is_open(edition_factory, people, make_user):
    """Is a vote refused before the public vote opens?"""
    edition = edition_factory(public_vote=True, jury_weight=70)
    services.transition(edition, "open_nominations", actor=people.admin)
    (nom,) = nominate_orgs(edition, people, names=("Navruz Centre",))
    with pytest.raises(InvalidTransition):
        voting.cast_vote(edition, nom, voter=old_account(make_user("member")))


def test_recount_of_the_published_tally_equals_the_published_results(voting_edition, people, make_user):
    """Does recounting the downloaded tally (leaves, rules) give exactly the published results, and
    does the whole document verify (hashes, root, signature)?"""
    edition, noms = voting_edition
    for voter, nom in zip(_voters(make_user, 5), [noms[1], noms[1], noms[1], noms[0], noms[2]], strict=True):
        voting.cast_vote(edition, nom, voter=voter)
    db.session.commit()
    doc = _publish(edition, people)
    assert tally.verify_document(json.loads(json.dumps(doc))) == []
    payloads = [json.loads(e["payload"]) for e in doc["entries"]]
    assert tally.results_from(doc["edition"], payloads) == voting.published_results(edition)
    assert sum(p["kind"] == "vote" for p in payloads) == 5
    assert sum(p["kind"] == "score" for p in payloads) == 9
    ranking = doc["results"]["categories"][0]["ranking"]
    assert [r["public_votes"] for r in sorted(ranking, key=lambda r: r["nomination"])] == [1, 3, 1]
    assert all("Juror" in p["juror"] for p in payloads if p["kind"] == "score")  # not named


def test_a_voters_receipt_verifies_and_a_wrong_one_does_not(voting_edition, people, make_user):
    """Does the receipt a voter got verify against the published tally, while a receipt with another
    nonce, or pointing at another leaf, does not?"""
    edition, noms = voting_edition
    receipts = [voting.cast_vote(edition, noms[i % 3], voter=v) for i, v in enumerate(_voters(make_user, 4))]
    db.session.commit()
    doc = _publish(edition, people)
    for r in receipts:
        parsed = voting.parse_receipt(r.code)
        assert tally.verify_receipt(doc, seq=parsed.seq, nonce=parsed.nonce)
    r = receipts[0]
    assert not tally.verify_receipt(doc, seq=r.seq, nonce="0" * 64)
    assert not tally.verify_receipt(doc, seq=receipts[1].seq, nonce=r.nonce)
    assert not tally.verify_receipt(doc, seq=10_000, nonce=r.nonce)
    assert voting.parse_receipt("not a receipt") is None


def test_the_tally_reveals_no_voter(voting_edition, people, make_user):
    """Does the downloaded tally name no voter (no account id, no email) — only commitments?"""
    edition, noms = voting_edition
    voter = old_account(make_user("member", email="secret.voter@example.org"))
    voting.cast_vote(edition, noms[0], voter=voter)
    db.session.commit()
    doc = _publish(edition, people)
    body = json.dumps(doc)
    assert "secret.voter" not in body
    vote = next(json.loads(e["payload"]) for e in doc["entries"] if '"vote"' in e["payload"])
    assert set(vote) == {"category", "commitment", "edition", "kind", "nomination", "seq", "v"}


def test_tampering_with_the_downloaded_tally_is_caught(voting_edition, people, make_user):
    """Is a changed vote, a dropped vote, a changed result or a forged root each caught?"""
    edition, noms = voting_edition
    for voter in _voters(make_user, 3):
        voting.cast_vote(edition, noms[2], voter=voter)
    db.session.commit()
    doc = _publish(edition, people)

    moved = copy.deepcopy(doc)
    entry = moved["entries"][0]
    data = json.loads(entry["payload"])
    data["nomination"] = noms[0].id
    entry["payload"] = tally.canonical(data).decode()
    assert any("leaf hash" in p for p in tally.verify_document(moved))
    entry["leaf_hash"] = tally.leaf_hex(entry["payload"])  # a careful forger rehashes the leaf
    assert any("root" in p for p in tally.verify_document(moved))

    dropped = copy.deepcopy(doc)
    dropped["entries"].pop()
    assert tally.verify_document(dropped)

    cooked = copy.deepcopy(doc)
    cooked["results"]["categories"][0]["ranking"][0]["combined"] = "99.0000"
    problems = tally.verify_document(cooked)
    assert any("signature" in p for p in problems) and any("recounting" in p for p in problems)

    forged = copy.deepcopy(doc)
    forged["checkpoint"]["root_hash"] = "00" * 32
    assert any("signature" in p for p in tally.verify_document(forged))


def test_the_database_refuses_to_rewrite_the_tally(voting_edition, people, make_user):
    """Do the database triggers refuse to update or delete a tally leaf or a ballot?"""
    edition, noms = voting_edition
    voting.cast_vote(edition, noms[0], voter=old_account(make_user("member")))
    db.session.commit()
    for sql in (
        "UPDATE competition_tally_entries SET payload = 'x'",
        "DELETE FROM competition_tally_entries",
        "DELETE FROM competition_ballots",
    ):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(sql))
            db.session.flush()
        db.session.rollback()
    assert db.session.query(TallyEntry).count() == 1


def test_the_cli_checks_a_downloaded_tally(voting_edition, people, make_user, runner, tmp_path):
    """Does ``flask competitions verify-tally`` pass a good tally and fail a changed one?"""
    edition, noms = voting_edition
    voting.cast_vote(edition, noms[0], voter=old_account(make_user("member")))
    db.session.commit()
    doc = _publish(edition, people)
    good = tmp_path / "tally.json"
    good.write_text(json.dumps(doc))
    assert runner.invoke(args=["competitions", "verify-tally", str(good)]).exit_code == 0
    doc["results"]["categories"][0]["votes"] = 7
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = runner.invoke(args=["competitions", "verify-tally", str(bad)])
    assert result.exit_code == 1


@pytest.mark.postgres
def test_twenty_simultaneous_votes_of_one_account_count_once(voting_edition, people, make_user, app):
    """When the same account sends its vote 20 times at once (threads, separate sessions), is
    exactly one ballot and one tally leaf recorded, the others refused as duplicates?"""
    import threading

    from fundapp.accounts.models import User
    from fundapp.competitions.models import Edition, Nomination

    edition, noms = voting_edition
    voter = old_account(make_user("member"))
    ids = (edition.id, noms[0].id, voter.id)
    db.session.remove()
    barrier = threading.Barrier(20)
    outcomes = []

    def vote():
        with app.app_context():
            barrier.wait()  # no thread holds a pooled connection while it waits here
            ed, nom, user = (
                db.session.get(m, i) for m, i in zip((Edition, Nomination, User), ids, strict=True)
            )
            try:
                voting.cast_vote(ed, nom, voter=user)
                db.session.commit()
                outcomes.append("ok")
            except DuplicateRequest:
                db.session.rollback()
                outcomes.append("duplicate")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=vote) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["duplicate"] * 19 + ["ok"]
    assert db.session.query(Ballot).filter_by(voter_id=voter.id).count() == 1
    assert db.session.query(TallyEntry).filter_by(edition_id=ids[0], kind="vote").count() == 1
