"""The tracer reads what the wire delivered: any decodable message, any alert or record
value, in any order, from either side, builds a story and renders without error."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import handshake_messages
from tlsglass.observe import (
    AlertTrace,
    Decision,
    KeyInstalled,
    MessageTrace,
    RecordTrace,
    StateChange,
    TraceRecord,
    TrustDecision,
)
from tlsglass.trace import build_story, render_html, render_json, render_text
from tlsglass.wire import encode_handshake

_roles = st.sampled_from(["client", "server"])
_directions = st.sampled_from(["in", "out"])
_text = st.text(max_size=30)


def _message(role: str, direction: str, msg: object) -> TraceRecord:
    return MessageTrace(role=role, direction=direction, message=msg,  # type: ignore[arg-type]
                        raw=encode_handshake(msg))  # type: ignore[arg-type]


_records = st.one_of(
    st.builds(_message, _roles, _directions, handshake_messages()),
    st.builds(AlertTrace, role=_roles, direction=_directions, level=st.integers(0, 255),
              description=st.integers(0, 255), reason=_text),
    st.builds(RecordTrace, role=_roles, direction=_directions, content_type=st.integers(0, 255),
              length=st.integers(0, 1 << 14), protected=st.booleans(),
              header=st.binary(max_size=6)),
    st.builds(KeyInstalled, role=_roles, direction=st.sampled_from(["read", "write"]),
              label=_text, epoch=_text),
    st.builds(StateChange, role=_roles, old=_text, new=_text),
    st.builds(Decision, role=_roles, topic=_text, chosen=_text,
              offered=st.lists(_text, max_size=3).map(tuple), reason=_text),
    st.builds(TrustDecision, role=_roles, peer=_roles, path=st.lists(_text, max_size=3).map(tuple),
              anchor=_text, server_name=st.none() | _text, method=_text, ok=st.booleans(),
              reason=_text),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(_records, max_size=12), st.booleans())
def test_any_sequence_of_records_renders(records: list[TraceRecord], with_bytes: bool) -> None:
    story = build_story(records, with_bytes=with_bytes)
    assert [s.number for s in story.steps] == list(range(1, len(story.steps) + 1))
    assert story.outcome in ("complete", "failed", "incomplete")
    for text in (render_text(story, colour=True), render_json(story), render_html(story)):
        assert isinstance(text, str)


def test_colour_only_when_asked() -> None:
    records = [AlertTrace(role="client", direction="in", level=2, description=40)]
    story = build_story(records)
    assert "\x1b[" in render_text(story, colour=True)
    assert "\x1b[" not in render_text(story)
