"""One self-contained HTML page for a Story (or two): a sequence diagram of the flights.

Each step is a row between the client's and the server's lifelines, its arrow
pointing from sender to receiver; clicking it (a `<details>` element, no script)
opens the explanation, the decoded fields, the notes and the labelled bytes.
No external resources: the style is inline, so the file works offline and can be
mailed around. Every text is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Final

from tlsglass.trace.render import hex_dump
from tlsglass.trace.story import Step, Story

__all__ = ["render_html"]

_STYLE: Final = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
h1{font-size:1.5em} .story{margin-bottom:3em}
.flow{background:linear-gradient(#888,#888) 8% 0/2px 100% no-repeat,
linear-gradient(#888,#888) 92% 0/2px 100% no-repeat;padding:.2em 0}
.lanes{display:flex;justify-content:space-between;font-weight:bold;padding:0 3%}
.step>summary{list-style:none;cursor:pointer;padding:.45em 8% 0}
.step>summary::-webkit-details-marker{display:none}
.arrow{position:relative;border-bottom:2px solid #2a6fb0;text-align:center;padding-bottom:2px}
.arrow::after{content:"";position:absolute;bottom:-7px;border:6px solid transparent}
.to-server .arrow::after{right:-2px;border-left:12px solid #2a6fb0;border-right:0}
.to-client .arrow{border-color:#9b3fa8} .to-client .arrow::after{left:-2px;
border-right:12px solid #9b3fa8;border-left:0}
.alert .arrow{border-color:#b00020;border-bottom-style:dashed}
.alert.to-server .arrow::after{border-left-color:#b00020}
.alert.to-client .arrow::after{border-right-color:#b00020}
.step[open]>summary .arrow{background:#f3f3f3}
.enc{font-size:.8em;color:#2a7a2a;margin-left:.4em}
.body{background:#fff;border:1px solid #ddd;border-radius:4px;margin:.8em 10% 1em;
padding:.2em 1em}
.why{color:#444} .rfc{color:#777;font-size:.85em} table{border-collapse:collapse}
td{padding:1px 8px 1px 0;vertical-align:top} pre{background:#f6f6f6;padding:.6em;overflow:auto}
.note-bad{color:#b00020} .note-good{color:#1d6b1d} .note-state{color:#888}
.outcome{padding:.6em;margin:1em 0;border-radius:4px;background:#e8f6e8}
.outcome.failed{background:#fde8e8}
"""


def render_html(*stories: Story, title: str = "TLS handshake, step by step") -> str:
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{escape(title)}</h1>"]
    parts.extend(_story(story) for story in stories)
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _story(story: Story) -> str:
    rows = "\n".join(_step(step) for step in story.steps)
    outcome = {"complete": "Handshake complete: both directions are encrypted with the "
                           "application traffic keys.",
               "failed": f"Handshake failed: {story.failure}."}.get(
        story.outcome, "The handshake did not finish.")
    secrets = ""
    if story.secrets:
        secrets = "<h3>Secrets (revealed on request)</h3><pre>" + escape("\n".join(
            f"{label} {value}" for label, value in story.secrets)) + "</pre>"
    return (f"<section class=\"story\"><h2>Seen from the {escape(story.role)}</h2>"
            f"<div class=\"lanes\"><div>client</div><div>server</div></div>\n"
            f"<div class=\"flow\">\n{rows}\n</div>"
            f"<div class=\"outcome {escape(story.outcome)}\">{escape(outcome)}</div>"
            f"{secrets}</section>")


def _step(step: Step) -> str:
    direction = "to-server" if step.receiver == "server" else "to-client"
    extra = " alert" if ("level", "fatal") in step.fields else ""
    enc = "<span class=\"enc\">encrypted</span>" if step.encrypted else ""
    head = (f"<summary><div class=\"arrow\">{step.number}. "
            f"<b>{escape(step.title)}</b>{enc}</div></summary>")
    return (f"<details class=\"step {direction}{extra}\" id=\"step-{step.number}\">"
            f"{head}<div class=\"body\">{_body(step)}</div></details>")


def _body(step: Step) -> str:
    out = [f"<p>{escape(step.summary)}</p>"]
    if step.why:
        out.append(f"<p class=\"why\">Why: {escape(step.why)} "
                   f"<span class=\"rfc\">{escape(step.rfc)}</span></p>")
    if step.fields:
        out.append("<table>" + "".join(
            f"<tr><td>{escape(name)}</td><td>{escape(value)}</td></tr>"
            for name, value in step.fields) + "</table>")
    if step.details:
        out.append("<pre>" + escape("\n".join(step.details)) + "</pre>")
    for note in step.notes:
        kind = "bad" if not note.ok else "state" if note.kind == "state" else "good"
        why = f" <span class=\"why\">{escape(note.why)}</span>" if note.why else ""
        out.append(f"<p class=\"note-{kind}\">[{escape(note.kind)}] {escape(note.text)}"
                   f"{why} <span class=\"rfc\">{escape(note.rfc)}</span></p>")
    if step.message_bytes:
        out.append("<p>Message bytes:</p><pre>"
                   + escape("\n".join(hex_dump(step.message_bytes))) + "</pre>")
    if step.record_bytes:
        out.append("<p>Record header:</p><pre>"
                   + escape("\n".join(hex_dump(step.record_bytes))) + "</pre>")
    return "\n".join(out)
