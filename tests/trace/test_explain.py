"""The explanation tables cover every member of the registries the story shows."""

from __future__ import annotations

from enum import IntEnum

import pytest

from tlsglass.enums import (
    AlertDescription,
    CipherSuite,
    ExtensionType,
    HandshakeType,
    NamedGroup,
    SignatureScheme,
)
from tlsglass.trace import explain, explain_key, explain_state
from tlsglass.trace.explain import message_name


@pytest.mark.parametrize("registry", [HandshakeType, ExtensionType, AlertDescription,
                                      CipherSuite, NamedGroup, SignatureScheme])
def test_every_member_is_explained(registry: type[IntEnum]) -> None:
    for member in registry:
        info = explain(registry, member)
        assert info is not None, member
        assert info.what and info.rfc.startswith(("RFC", "draft-")), member


def test_unknown_values_have_no_made_up_explanation() -> None:
    assert explain(HandshakeType, 0xFE - 1) is None
    assert explain(ExtensionType, 0x0A0A) is None


def test_keys_and_states() -> None:
    key = explain_key("client_handshake_traffic_secret key")
    assert key is not None and key.rfc == "RFC 8446 §7.1"
    assert explain_key("not a label") is None
    assert explain_state("WaitCertCR") == "WAIT_CERT_CR"
    assert explain_state("WaitServerHelloDone") == "WAIT_SERVER_HELLO_DONE"
    assert message_name(HandshakeType.ENCRYPTED_EXTENSIONS) == "EncryptedExtensions"
    assert message_name(0x42) == "unknown 0x42"
