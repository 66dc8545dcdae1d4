"""Text and JSON renderings of a Story; both read the dataclass fields generically.

`render_text(story, colour=...)` is for terminals (ANSI colour only when asked,
so piped output stays plain); `side_by_side(left, right, width)` puts two
renderings in columns. `render_json(story)` is `to_dict` as JSON, whose schema
is the Story dataclass itself (documented in docs/trace.md): every dataclass
becomes an object of its fields, tuples become arrays, bytes become hex.
Output is deterministic for given records, so it is tested against golden files.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from types import MappingProxyType
from typing import Final

from tlsglass.trace.annotate import ByteField
from tlsglass.trace.story import Step, Story

__all__ = ["SCHEMA_VERSION", "hex_dump", "render_json", "render_text", "side_by_side",
           "to_dict"]

SCHEMA_VERSION: Final = 1
_WIDTH: Final = 96
_COLOURS: Final = MappingProxyType({"client": "\x1b[36m", "server": "\x1b[35m", "bad": "\x1b[31m",
                   "good": "\x1b[32m", "dim": "\x1b[2m", "bold": "\x1b[1m", "end": "\x1b[0m"})
_NOTE_MARKS: Final = MappingProxyType({"decision": "choice", "keys": "keys", "trust": "trust",
                                       "state": "state"})


def to_dict(value: object) -> object:
    """Any Story part as plain JSON data, field by field (hidden bytes stay out)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_dict(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_dict(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def render_json(story: Story) -> str:
    doc = {"schema": "tlsglass-trace", "version": SCHEMA_VERSION, "story": to_dict(story)}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


class _Paint:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, kind: str, text: str) -> str:
        if not self.colour or kind not in _COLOURS:
            return text
        return f"{_COLOURS[kind]}{text}{_COLOURS['end']}"


def render_text(story: Story, *, colour: bool = False, width: int = _WIDTH) -> str:
    paint = _Paint(colour)
    lines = [paint("bold", f"TLS handshake seen from the {story.role}"), ""]
    for step in story.steps:
        lines.extend(_step_lines(step, paint, width))
        lines.append("")
    lines.extend(_outcome_lines(story, paint, width))
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int, indent: str) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent) or [indent]


def _step_lines(step: Step, paint: _Paint, width: int) -> list[str]:
    arrow = f"{step.sender} -> {step.receiver}"
    lock = " [encrypted]" if step.encrypted else ""
    head = f"{step.number:>2}. {paint(step.sender, arrow)}: {paint('bold', step.title)}{lock}"
    lines = [head, *_wrap(step.summary, width, "    ")]
    if step.why:
        lines.extend(_wrap(f"Why: {step.why}" + (f" ({step.rfc})" if step.rfc else ""),
                           width, "    "))
    for name, value in step.fields:
        lines.extend(_wrap(f"{name}: {value}", width, "      "))
    lines.extend("      " + line for line in step.details)
    for note in step.notes:
        mark = _NOTE_MARKS.get(note.kind, note.kind)
        kind = "bad" if not note.ok else "dim" if note.kind == "state" else "good"
        text = f"[{mark}] {note.text}" + (f" ({note.rfc})" if note.rfc else "")
        lines.extend(paint(kind, line) for line in _wrap(text, width, "    "))
        if note.why and note.kind != "state":
            lines.extend(_wrap(note.why, width, "           "))
    if step.message_bytes:
        lines.append("    message bytes:")
        lines.extend(hex_dump(step.message_bytes, "      "))
    if step.record_bytes:
        lines.append("    record header:")
        lines.extend(hex_dump(step.record_bytes, "      "))
    return lines


def _outcome_lines(story: Story, paint: _Paint, width: int) -> list[str]:
    if story.outcome == "complete":
        lines = [paint("good", "Handshake complete: both directions are encrypted with the "
                               "application traffic keys.")]
    elif story.outcome == "failed":
        lines = [paint("bad", line) for line in _wrap(f"Handshake failed: {story.failure}.",
                                                      width, "")]
    else:
        lines = ["The handshake did not finish (the connection ended first)."]
    if story.secrets:
        lines += ["", paint("bad", "Secrets (revealed on request; never share these):")]
        lines += [f"  {label} {value}" for label, value in story.secrets]
    return lines


def hex_dump(fields: tuple[ByteField, ...], indent: str = "") -> list[str]:
    """Offset, hex and label of each field, 16 bytes a line; parents give their size only
    (their children below show the bytes); hidden fields show dots, never their bytes."""
    lines: list[str] = []
    for index, f in enumerate(fields):
        has_children = index + 1 < len(fields) and fields[index + 1].depth > f.depth
        label = f"{'  ' * f.depth}{f.label} = {f.value}"
        size = f.end - f.start
        if has_children:
            chunks = [f"[{size} bytes]"]
        elif f.hidden:
            chunks = [" ".join([".."] * min(size, 16))]
        else:
            chunks = [f.data[i:i + 16].hex(" ") for i in range(0, len(f.data), 16)] or [""]
        lines.append(f"{indent}{f.start:04x}  {chunks[0]:<47}  {label}")
        lines.extend(f"{indent}{f.start + 16 * n:04x}  {chunk}"
                     for n, chunk in enumerate(chunks[1:], 1))
    return lines


def side_by_side(left: str, right: str, width: int) -> str:
    """Two renderings in columns of `width` characters, their paragraphs (steps) aligned."""
    a_blocks, b_blocks = left.split("\n\n"), right.split("\n\n")
    rows: list[str] = []
    for index in range(max(len(a_blocks), len(b_blocks))):
        a = _column(a_blocks[index] if index < len(a_blocks) else "", width)
        b = _column(b_blocks[index] if index < len(b_blocks) else "", width)
        height = max(len(a), len(b))
        a += [""] * (height - len(a))
        b += [""] * (height - len(b))
        rows.extend(f"{x:<{width}} | {y}".rstrip() for x, y in zip(a, b, strict=True))
        rows.append(f"{'':<{width}} |")
    return "\n".join(rows[:-1]) + "\n"


def _column(block: str, width: int) -> list[str]:
    return [line for text in block.strip("\n").splitlines() for line in _fit(text, width)]


def _fit(line: str, width: int) -> list[str]:
    if len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()))
    return textwrap.wrap(line, width, subsequent_indent=indent + "  ") or [""]
