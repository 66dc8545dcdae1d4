"""The tracer people read: "How TLS works, step by step".

Collect a handshake's records with a `Recorder` (a config's `trace` sink), build
the numbered `Story`, and render it as text, JSON or one self-contained HTML page:

    recorder = tlsglass.trace.Recorder()
    config = tlsglass.ClientConfig(server_name="example.org", trace=recorder)
    ...  # run the handshake
    print(tlsglass.trace.render_text(recorder.story()))

Explanations are data keyed by enum member (`explain`); annotated bytes come from
the wire codecs (`annotate_message`). The door is `__all__`.
"""

from tlsglass.trace.annotate import ByteField, annotate_message, annotate_record_header
from tlsglass.trace.explain import Explanation, explain, explain_key, explain_state
from tlsglass.trace.html import render_html
from tlsglass.trace.render import render_json, render_text, side_by_side, to_dict
from tlsglass.trace.story import Note, Recorder, Step, Story, build_story

__all__ = [
    "ByteField",
    "Explanation",
    "Note",
    "Recorder",
    "Step",
    "Story",
    "annotate_message",
    "annotate_record_header",
    "build_story",
    "explain",
    "explain_key",
    "explain_state",
    "render_html",
    "render_json",
    "render_text",
    "side_by_side",
    "to_dict",
]
