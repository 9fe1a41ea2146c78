"""The canonical encoding: the fast encoder used for sealing and verifying must agree byte for
byte with plain sorted-key JSON, which is what outside verifiers re-implement."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fundapp.ledger.encoding import encode_entry, encode_fields, entry_fields

text = st.text(max_size=40)
legs = st.lists(
    st.tuples(
        st.sampled_from(["D", "C"]),
        st.sampled_from(["bank", "project:7", "stripe_clearing", 'odd"code\\']),
        st.sampled_from(["TJS", "USD"]),
        st.integers(min_value=1, max_value=10**15),
    ),
    min_size=2,
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(
    seq=st.integers(min_value=1, max_value=10**12),
    kind=st.sampled_from(["donation", "fee", "reversal"]),
    memo=text,
    backer=st.none() | text,
    reverses=st.none() | st.integers(min_value=1, max_value=10**9),
    legs=legs,
)
def test_fast_encoder_equals_reference_json(seq, kind, memo, backer, reverses, legs):
    """Does the fast encoder produce exactly the reference JSON for any entry, unicode included?"""
    posted = "2026-11-28T16:00:00.123456Z"
    fast = encode_entry(seq, kind, posted, memo, backer, reverses, legs)
    ref = encode_fields(
        entry_fields(
            seq=seq, kind=kind, posted_at=posted, memo=memo, backer=backer, reverses=reverses, legs=legs
        )
    )
    assert fast == ref
    assert fast.isascii()


def test_leg_order_does_not_matter():
    """Is the encoding independent of the order legs come back from the database?"""
    a = [("D", "bank", "TJS", 5), ("C", "project:1", "TJS", 5)]
    t = "2026-01-01T00:00:00.000000Z"
    assert encode_entry(1, "donation", t, "m", None, None, a) == encode_entry(
        1, "donation", t, "m", None, None, a[::-1]
    )
