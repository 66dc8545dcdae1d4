"""External PSKs (RFC 8446 §2.2, §4.2.11): TLS with no certificate at all."""

from __future__ import annotations

from dataclasses import replace

import pytest

import tlsglass
from helpers import Pair, Pki, byte_by_byte, client_config, random_splits, server_config, whole
from tlsglass import AlertDescription as AD
from tlsglass import CipherSuite, Connection, ExternalPsk
from tlsglass.enums import PskKeyExchangeMode
from tlsglass.errors import RemoteProtocolError

KEY = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
PSK = ExternalPsk(b"client-7", KEY)


def _server(**options: object) -> tlsglass.ServerConfig:
    return tlsglass.ServerConfig(external_psks=(PSK,), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("split", [whole, byte_by_byte, random_splits(3)],
                         ids=["whole", "byte_by_byte", "random_splits"])
def test_no_certificate_anywhere(split: object) -> None:
    pair = Pair(tlsglass.ClientConfig(external_psk=PSK), _server(), split)  # type: ignore[arg-type]
    pair.handshake()
    for conn in (pair.client, pair.server):
        assert conn.resumed and conn.peer_certificates == () and conn.signature_scheme is None
    pair.client.send_application_data(b"no certificates were harmed")
    pair.pump()
    assert pair.data("server") == b"no certificates were harmed"
    assert pair.client.export_keying_material("x") == pair.server.export_keying_material("x")


def test_psk_ke_and_sha384() -> None:
    psk = ExternalPsk(b"id384", KEY + KEY[:16], hash_name="sha384")
    client = tlsglass.ClientConfig(external_psk=psk,
                                   psk_key_exchange_modes=(PskKeyExchangeMode.PSK_KE,))
    server = tlsglass.ServerConfig(external_psks=(PSK, psk), psk_key_exchange_modes=(
        PskKeyExchangeMode.PSK_DHE_KE, PskKeyExchangeMode.PSK_KE))
    pair = Pair(client, server).handshake()
    assert pair.client.cipher_suite == CipherSuite.TLS_AES_256_GCM_SHA384
    assert pair.client.group is None


def test_wrong_key_is_decrypt_error() -> None:
    client = Connection(tlsglass.ClientConfig(external_psk=ExternalPsk(b"client-7", b"\x01" * 32)))
    client.start_handshake()
    with pytest.raises(RemoteProtocolError) as info:
        Connection(_server()).receive_data(client.data_to_send())
    assert info.value.alert == AD.DECRYPT_ERROR


def test_unknown_identity_without_certificates_fails_the_handshake() -> None:
    client = Connection(tlsglass.ClientConfig(external_psk=ExternalPsk(b"stranger", KEY)))
    client.start_handshake()
    with pytest.raises(RemoteProtocolError) as info:
        Connection(_server()).receive_data(client.data_to_send())
    assert info.value.alert == AD.HANDSHAKE_FAILURE


def test_client_without_a_name_refuses_a_certificate_instead_of_the_psk() -> None:
    pki = Pki()
    pair = Pair(tlsglass.ClientConfig(external_psk=ExternalPsk(b"stranger", KEY)),
                server_config(pki.issue()))
    pair.client.start_handshake()
    with pytest.raises(RemoteProtocolError) as info:
        pair.pump()
    assert info.value.alert == AD.HANDSHAKE_FAILURE


def test_unknown_identity_falls_back_to_a_certificate_when_the_client_can_verify() -> None:
    pki = Pki()
    client = client_config(pki, external_psk=ExternalPsk(b"stranger", KEY))
    pair = Pair(client, replace(server_config(pki.issue()), external_psks=(PSK,))).handshake()
    assert not pair.client.resumed and pair.client.peer_certificates


def test_server_config_needs_a_certificate_or_a_psk() -> None:
    with pytest.raises(tlsglass.ConfigError):
        tlsglass.ServerConfig()
    with pytest.raises(tlsglass.ConfigError):
        tlsglass.ServerConfig(external_psks=(PSK, PSK))
