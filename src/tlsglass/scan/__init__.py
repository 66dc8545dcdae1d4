"""The scan room: `tlsglass scan`, a TLS server scanner built on tlsglass's own codecs.

It crafts ClientHellos for any version from SSL 3.0 to TLS 1.3 (including suites
tlsglass refuses to speak), reads the server's plaintext answer, and never
completes an insecure handshake; one ordinary TLS 1.3 handshake shows what 1.3
encrypts. Findings are typed (findings.py), the verdict follows Mozilla's
guidelines (mozilla.py, verdict.py), and report.py renders text or JSON.

Door: `scan`, `Target`, `Report`, `render_text`, `to_json`.
"""

from tlsglass.scan.findings import Report
from tlsglass.scan.report import render_text, to_json
from tlsglass.scan.runner import scan
from tlsglass.scan.transport import Target

__all__ = ["Report", "Target", "render_text", "scan", "to_json"]
