"""Transcript: every digest equals the hash of the messages it covers, whatever the order
in which messages arrive and the hash is chosen (§4.4.1)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlsglass.errors import InternalError
from tlsglass.transcript import Transcript, message_hash

MESSAGES = st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=8)


def _h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


@settings(max_examples=100, deadline=None)
@given(messages=MESSAGES, chosen_after=st.integers(0, 8), partial=st.binary(max_size=20))
def test_digests_match_the_hash_of_the_messages(messages: list[bytes], chosen_after: int,
                                                partial: bytes) -> None:
    t = Transcript()
    for index, message in enumerate(messages):
        if index == chosen_after:
            t.choose_hash("sha256")
        t.add(message)
    t.choose_hash("sha256")  # a no-op when already chosen
    assert t.digest() == _h(*messages)
    assert t.digest_before_last() == _h(*messages[:-1])
    assert t.digest_with(partial) == _h(*messages, partial)
    assert t.digest() == _h(*messages)  # reading a digest does not move the transcript


@settings(max_examples=50, deadline=None)
@given(messages=MESSAGES, cut=st.integers(0, 10), hashed=st.booleans())
def test_binder_digest_covers_all_but_the_cut_tail(messages: list[bytes], cut: int,
                                                   hashed: bool) -> None:
    t = Transcript()
    if hashed:
        t.choose_hash("sha256")
    for message in messages:
        t.add(message)
    last = messages[-1]
    assert t.binder_digest("sha256", cut) == _h(*messages[:-1], last[:len(last) - cut])


def test_hello_retry_request_rewrite() -> None:
    t = Transcript()
    t.add(b"client hello 1")
    t.add(b"hello retry request")
    t.restart_after_hello_retry("sha256")
    t.add(b"client hello 2")
    first = message_hash("sha256", b"client hello 1")
    assert t.digest() == _h(first, b"hello retry request", b"client hello 2")
    assert t.digest_before_last() == _h(first, b"hello retry request")


def test_digests_before_the_hash_is_chosen_are_internal_errors() -> None:
    t = Transcript()
    t.add(b"x")
    with pytest.raises(InternalError):
        t.digest()
    with pytest.raises(InternalError):
        t.digest_with(b"")
    empty = Transcript()
    empty.choose_hash("sha256")
    with pytest.raises(InternalError):
        empty.digest_before_last()
    with pytest.raises(InternalError):
        empty.choose_hash("sha384")
