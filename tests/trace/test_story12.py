"""TLS 1.2 stories for the key exchanges off by default: RSA key transport (the client
creates the premaster secret and encrypts it to the server's key) and DHE with an
RFC 7919 group; and a TLS 1.2 client certificate. Each told and labelled byte by byte."""

from __future__ import annotations

import pytest

from helpers import Issued, Pair, Pki, client_config, server_config
from tlsglass import CipherSuite, NamedGroup, ProtocolVersion
from tlsglass.trace import Recorder, Step, Story, render_text

V12 = ProtocolVersion.TLS1_2


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def rsa_leaf(pki: Pki) -> Issued:
    return pki.issue(kind="rsa2048")


def _stories(pki: Pki, leaf: Issued, client: dict[str, object] | None = None,
             server: dict[str, object] | None = None, **both: object) -> tuple[Story, Story]:
    rc, rs = Recorder(), Recorder()
    Pair(client_config(pki, maximum_version=V12, trace=rc, **both, **(client or {})),
         server_config(leaf, trace=rs, **both, **(server or {}))).handshake()
    return rc.story(with_bytes=True), rs.story(with_bytes=True)


def _step(story: Story, title: str) -> Step:
    return next(step for step in story.steps if step.title == title)


def _words(text: str) -> str:
    return " ".join(text.split())


def test_rsa_key_transport(pki: Pki, rsa_leaf: Issued) -> None:
    suite = CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256
    client, server = _stories(pki, rsa_leaf, tls12_cipher_suites=(suite,),
                              allow_rsa_key_transport=True)
    titles = [step.title for step in client.steps]
    assert "ServerKeyExchange" not in titles
    assert "RSA key transport" in _step(client, "ServerHello").summary
    cke = _step(server, "ClientKeyExchange")
    assert "The client creates the premaster secret" in cke.summary
    assert "encrypts it with the server's public key" in cke.summary
    assert "No forward secrecy" in cke.summary
    assert [f.label for f in cke.message_bytes] == ["msg_type", "length",
                                                    "EncryptedPreMasterSecret"]
    assert ("encrypted_premaster_secret", "256 bytes") in cke.fields
    keys = [n.text for n in cke.notes if n.kind == "keys"]
    assert keys and "premaster_secret (chosen by the client, sent encrypted)" in keys[0]
    assert client.outcome == server.outcome == "complete"


@pytest.mark.parametrize("group", [NamedGroup.FFDHE2048, NamedGroup.FFDHE3072],
                         ids=lambda g: g.name)
def test_dhe(pki: Pki, rsa_leaf: Issued, group: NamedGroup) -> None:
    suite = CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
    client, _ = _stories(pki, rsa_leaf, tls12_cipher_suites=(suite,),
                         groups=(NamedGroup.X25519, group))
    ske = _step(client, "ServerKeyExchange")
    bits = 2048 if group == NamedGroup.FFDHE2048 else 3072
    assert f"in a {bits}-bit group" in ske.summary
    assert ("dh_p", f"{bits} bits") in ske.fields
    assert [f.label for f in ske.message_bytes][2:] == ["dh_p", "dh_g", "dh_Ys", "algorithm",
                                                        "signature"]
    cke = _step(client, "ClientKeyExchange")
    assert "ephemeral DHE public value" in cke.summary
    assert [f.label for f in cke.message_bytes][2:] == ["dh_Yc"]


def test_client_certificate(pki: Pki) -> None:
    leaf = pki.issue()
    alice = pki.issue(names=("alice",), server=False).certified
    client, server = _stories(pki, leaf, {"certificate": alice},
                              {"client_auth": "required", "client_trust": pki.trust})
    request = _step(client, "CertificateRequest")
    assert "ecdsa_sign" in dict(request.fields)["certificate_types"]
    text = _words(render_text(server))
    assert "client -> server: Certificate" in render_text(server)
    assert "The client signs every handshake message so far with" in text
    assert "The client's chain verifies: CN=alice" in text
    assert "(RFC 5246 §7.4.8)" in text
