"""The crypto room: small typed functions over pyca/cryptography, with no protocol knowledge.

This is the only engine room that imports `cryptography.hazmat` (STYLE.md §2).
It knows what algorithms do, never when the protocol uses them. It does no I/O,
except the explicit PEM/DER key loaders in `sign`, and it holds no mutable
module state (convention 11). Key material never appears in a `repr` or an
exception message (convention 9).

Door (import from the submodules):

- `suites`: `AeadAlgorithm`, `SuiteInfo`, `TLS13_SUITES`, `TLS12_SUITES`, `suite_info`.
- `aead`: `Aead` (seal/open, one object per key).
- `kdf`: `HASH_LENGTHS`, `hash_digest`, `hmac_digest`, `hkdf_extract`, `hkdf_expand`,
  `hkdf_expand_label`, `derive_secret`, `prf_tls12`.
- `kx`: `SUPPORTED_GROUPS`, `KeyPair`, `KeyPairFactory`, `generate_key_pair`,
  `key_pair_from_private`, `encapsulate`, `FFDHE_PRIMES`, `FFDHE_GENERATOR`,
  `ffdhe_group_for`.
- `sign`: `PrivateKey`, `PublicKey`, `sign`, `verify`, `schemes_for_key`,
  `tls12_schemes_for_key`, `load_private_key_pem`, `load_private_key_file`,
  `public_key_of`, `public_keys_equal`.
"""

from __future__ import annotations

__all__: list[str] = []
