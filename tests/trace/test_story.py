"""Stories of real in-memory handshakes: the usual path, the detours, and the failures."""

from __future__ import annotations

import pytest

import tlsglass
from helpers import Pair, Pki, byte_by_byte, client_config, random_splits, server_config
from tlsglass import NamedGroup
from tlsglass.trace import Recorder, Story, render_text


def _pair(client: dict[str, object] | None = None, server: dict[str, object] | None = None,
          names: tuple[str, ...] = ("localhost", "127.0.0.1"),
          split: object = None) -> tuple[Pair, Recorder, Recorder]:
    pki = Pki()
    rc, rs = Recorder(), Recorder()
    pair = Pair(client_config(pki, trace=rc, **(client or {})),
                server_config(pki.issue(names=names), trace=rs, **(server or {})),
                **({"split": split} if split else {}))  # type: ignore[arg-type]
    return pair, rc, rs


def _titles(story: Story) -> list[str]:
    return [s.title for s in story.steps]


def _notes(story: Story, kind: str) -> list[str]:
    return [n.text for s in story.steps for n in s.notes if n.kind == kind]


def test_both_sides_tell_the_same_handshake() -> None:
    pair, rc, rs = _pair({"alpn_protocols": ("h2",)}, {"alpn_protocols": ("h2",)})
    pair.handshake()
    pair.client.send_application_data(b"ping")
    pair.pump()
    client, server = rc.story(), rs.story()
    expected = ["ClientHello", "ServerHello", "ChangeCipherSpec", "EncryptedExtensions",
                "Certificate", "CertificateVerify", "Finished", "ChangeCipherSpec", "Finished"]
    assert _titles(client)[:9] == expected
    assert _titles(server)[:9] == expected
    assert client.outcome == server.outcome == "complete"
    assert client.steps[-1].kind == "application_data"
    assert client.steps[0].sender == "client" and client.steps[1].sender == "server"
    assert not client.steps[0].encrypted and client.steps[3].encrypted
    assert any("alpn: h2" in text for text in _notes(server, "decision"))
    [trust] = _notes(client, "trust")
    assert "ending at the trusted root 'CN=tlsglass test root'" in trust
    assert "valid for 'localhost'" in trust
    keys = _notes(client, "keys")
    assert [k.split(" ")[0] for k in keys] == [
        "server_handshake_traffic_secret", "client_handshake_traffic_secret",
        "server_application_traffic_secret", "client_application_traffic_secret"]


def test_certificate_details_are_decoded() -> None:
    pair, rc, _ = _pair()
    pair.handshake()
    [cert] = [s for s in rc.story().steps if s.title == "Certificate"]
    text = "\n".join(cert.details)
    assert "subject: CN=localhost" in text
    assert "issuer: CN=tlsglass test root" in text
    assert "names (subjectAltName): localhost, 127.0.0.1" in text
    assert "public key: ECDSA P-256" in text


@pytest.mark.parametrize("split", [byte_by_byte, random_splits(7)])
def test_the_story_does_not_depend_on_how_bytes_arrive(split: object) -> None:
    whole, rc1, _ = _pair()
    whole.handshake()
    pieces, rc2, _ = _pair(split=split)
    pieces.handshake()
    assert _titles(rc1.story()) == _titles(rc2.story())


def test_hello_retry_request_is_explained() -> None:
    pair, rc, rs = _pair({"key_share_groups": (NamedGroup.X25519,)},
                         {"groups": (NamedGroup.SECP256R1,)})
    pair.handshake()
    client = rc.story()
    assert _titles(client)[:3] == ["ClientHello", "HelloRetryRequest", "ChangeCipherSpec"]
    assert "retry with a key share for SECP256R1" in client.steps[1].summary
    assert "transcript keeps a hash of the first ClientHello" in client.steps[1].why
    assert _titles(rs.story()).count("ClientHello") == 2


def test_mutual_tls_on_both_sides() -> None:
    pki = Pki()
    rc, rs = Recorder(), Recorder()
    alice = pki.issue(names=("alice",), server=False)
    pair = Pair(client_config(pki, certificate=alice.certified, trace=rc),
                server_config(pki.issue(), client_auth="required", client_trust=pki.trust,
                              trace=rs))
    pair.handshake()
    client, server = rc.story(), rs.story()
    assert "CertificateRequest" in _titles(client)
    assert "(mutual TLS)" in next(s.summary for s in client.steps
                                  if s.title == "CertificateRequest")
    sent = [s for s in client.steps if s.title == "Certificate"]
    assert [s.sender for s in sent] == ["server", "client"]
    [verdict] = _notes(server, "trust")
    assert verdict.startswith("The client's chain verifies: CN=alice -> CN=tlsglass test root")


def test_hostname_mismatch_is_traced_to_the_failure() -> None:
    pair, rc, rs = _pair(names=("other.test",))
    pair.client.start_handshake()
    with pytest.raises(tlsglass.RemoteProtocolError):
        pair.pump()
    with pytest.raises(tlsglass.FatalAlertReceived):
        pair.pump()
    client = rc.story()
    assert client.outcome == "failed"
    [verdict] = [n for s in client.steps for n in s.notes if n.kind == "trust"]
    assert not verdict.ok and "localhost" in verdict.text
    assert client.steps[-1].title == "Alert BAD_CERTIFICATE"
    assert client.failure.startswith("we ended the handshake with BAD_CERTIFICATE")
    server = rs.story()
    assert server.outcome == "failed"
    assert server.failure.startswith("the client ended the handshake with BAD_CERTIFICATE")
    assert "Handshake failed: the client ended the handshake" in render_text(server)


def test_unknown_ca_names_the_reason() -> None:
    pki, stranger = Pki(), Pki("someone else's root")
    rc = Recorder()
    pair = Pair(client_config(pki, trace=rc), server_config(stranger.issue()))
    pair.client.start_handshake()
    with pytest.raises(tlsglass.RemoteProtocolError):
        pair.pump()
    story = rc.story()
    assert story.steps[-1].title == "Alert UNKNOWN_CA"
    assert "unknown_ca: the chain does not lead to a trusted root." in story.steps[-1].why


def test_an_alert_from_the_peer_ends_the_story() -> None:
    pki = Pki()
    rc = Recorder()
    pair = Pair(client_config(pki, trace=rc),
                server_config(pki.issue(), client_auth="required", client_trust=pki.trust))
    pair.client.start_handshake()
    with pytest.raises(tlsglass.TLSError):
        pair.pump()
    with pytest.raises(tlsglass.TLSError):
        pair.pump()
    story = rc.story()
    assert story.steps[-1].title == "Alert CERTIFICATE_REQUIRED"
    assert story.steps[-1].sender == "server"
    assert story.failure == "the server ended the handshake with CERTIFICATE_REQUIRED"
    text = render_text(story)
    assert "certificate_required: the server needed a client certificate." in text


def test_unknown_values_render_by_number() -> None:
    from tlsglass.observe import AlertTrace

    story = Recorder()
    story(AlertTrace(role="client", direction="in", level=2, description=199))
    [step] = story.story().steps
    assert step.title == "Alert unknown 0xc7"
    assert story.story().outcome == "failed"


@pytest.mark.parametrize(("body", "alert", "reason"), [
    (b"\x02\x00\x00\x02\xff\xff", tlsglass.AlertDescription.DECODE_ERROR, ""),
    (b"\x14\x00\x00\x20" + bytes(32), tlsglass.AlertDescription.UNEXPECTED_MESSAGE,
     "expected SERVER_HELLO, got FINISHED"),
])
def test_a_refused_message_is_shown_with_its_bytes(body: bytes, alert: int,
                                                   reason: str) -> None:
    """A message that does not decode, or comes out of order, is a step of its own: what
    it claimed to be, why it was refused, and every byte that arrived."""
    recorder = Recorder()
    client = tlsglass.Connection(client_config(Pki(), trace=recorder))
    client.start_handshake()
    with pytest.raises(tlsglass.RemoteProtocolError) as info:
        client.receive_data(b"\x16\x03\x03" + len(body).to_bytes(2, "big") + body)
    assert info.value.alert == alert
    story = recorder.story("client", with_bytes=True)
    refused = [s for s in story.steps if s.title.endswith("(refused)")]
    assert len(refused) == 1, _titles(story)
    step = refused[0]
    assert step.sender == "server" and reason in step.summary
    assert b"".join(f.data for f in step.message_bytes) == body
    assert step.record_bytes  # the record that carried it, labelled too
    text = render_text(story)
    assert "(refused)" in text and "not decoded (refused)" in text
