"""Certificates you can make and trust: a local CA in a folder, and a throwaway one in memory.

Door: `LocalCA` (init, open, issue_server, issue_client, sign_csr, revoke,
write_crl, records), `read_records` and `read_root` (no password needed), the
trust helpers (`add_to_bundle`, `add_to_nss`, `instructions`), `CAError`, and
`ThrowawayCA` for tests and demos. The room is outside the engine: it uses
`cryptography` directly and the x509/ and crypto/ helpers, never the
connection, the handshake or the record layer.
"""

from tlsglass.ca.build import KEY_TYPES
from tlsglass.ca.errors import CAError
from tlsglass.ca.files import Record
from tlsglass.ca.local import REASONS, IssuedFiles, LocalCA, read_records, read_root
from tlsglass.ca.throwaway import ThrowawayCA
from tlsglass.ca.trust import DEFAULT_NSS_DB, add_to_bundle, add_to_nss, instructions

__all__ = ["DEFAULT_NSS_DB", "KEY_TYPES", "REASONS", "CAError", "IssuedFiles", "LocalCA",
           "Record", "ThrowawayCA", "add_to_bundle", "add_to_nss", "instructions", "read_records",
           "read_root"]
