"""The x509 room: certificates, trust stores, and chain and name verification.

The only engine room that imports `cryptography.x509` (STYLE.md §2). Parsing and
verification take bytes, a TrustStore and the time as arguments; the loaders
(`load_pem_certificates`, `load_certificate_file`, the `TrustStore.from_*`
constructors and `TrustStore.system()`) are the explicit, user-called functions
that read files or the environment (convention 1).

Door: the names in `__all__`.
"""

from tlsglass.x509.certificate import Certificate, load_certificate_file, load_pem_certificates
from tlsglass.x509.trust import SYSTEM_CA_DIRECTORIES, SYSTEM_CA_FILES, TrustStore
from tlsglass.x509.verify import (
    DEFAULT_MAX_CHAIN_DEPTH,
    VerifiedChain,
    normalize_server_name,
    verify_client_chain,
    verify_server_chain,
)

__all__ = [
    "DEFAULT_MAX_CHAIN_DEPTH",
    "SYSTEM_CA_DIRECTORIES",
    "SYSTEM_CA_FILES",
    "Certificate",
    "TrustStore",
    "VerifiedChain",
    "load_certificate_file",
    "load_pem_certificates",
    "normalize_server_name",
    "verify_client_chain",
    "verify_server_chain",
]
