"""What a passkey answer may not do, checked at the service (``identity.passkeys``) with real
WebAuthn data signed by a key made in the test: be replayed, approve another action or another
subject, come from another session, origin or RP id, carry a counter that went backwards, or
come from a passkey that was removed. Each refusal is recorded with its reason."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from newledger.actor import Actor
from newledger.audit.models import Activity
from newledger.errors import AuthenticationFailed
from newledger.identity import passkeys, second_factor, services
from newledger.identity.models import Passkey, PasskeyChallenge, User
from tests.support.passkeys import SoftAuthenticator

SESSION = passkeys.session_binding(1)
ROTATE_A = ("app.rotate", "/settings/appconnect/apps/nlapp_A/rotate")
DELETE_B = ("app.delete", "/settings/appconnect/apps/nlapp_B/delete")


@dataclass
class Setup:
    session: Session
    user: User
    actor: Actor
    device: SoftAuthenticator


@pytest.fixture
def setup(sessions: sessionmaker[Session]) -> Iterator[Setup]:
    with sessions() as session:
        user = services.create_user(
            session, email="refusals@example.com", name="R", password="correct horse battery"
        )
        actor = Actor("user", None, user_id=user.id, label=user.email)
        device = SoftAuthenticator(passkeys.relying_party().origin)
        options = json.loads(passkeys.registration_options(session, user, binding=SESSION))
        second_factor.add_passkey(
            session,
            user,
            actor,
            binding=SESSION,
            credential=device.create(options),
            name="Key",
        )
        session.commit()
        yield Setup(session, user, actor, device)


def _ask(s: Setup, action_subject: tuple[str, str], binding: str = SESSION) -> passkeys.Ask:
    action, subject = action_subject
    return passkeys.Ask(binding, passkeys.STEP_UP, action, subject, user_id=s.user.id)


def _options(s: Setup, ask: passkeys.Ask) -> dict[str, object]:
    options: dict[str, object] = json.loads(passkeys.authentication_options(s.session, ask, s.user))
    return options


def _accept(s: Setup, ask: passkeys.Ask, answer: str) -> None:
    passkeys.verify_assertion(s.session, ask, answer, s.actor)
    s.session.commit()


def _refused(s: Setup, ask: passkeys.Ask, answer: str, reason: str) -> None:
    with pytest.raises(AuthenticationFailed) as refused:
        passkeys.verify_assertion(s.session, ask, answer, s.actor)
    assert refused.value.code == f"passkey_{reason}"
    s.session.commit()
    last = s.session.scalars(
        select(Activity).where(Activity.event == "identity:passkey:failed").order_by(Activity.id)
    ).all()[-1]
    assert last.details["reason"] == reason


def test_a_fresh_answer_for_its_own_action_is_accepted_once(setup: Setup) -> None:
    ask = _ask(setup, ROTATE_A)
    answer = setup.device.get(_options(setup, ask))
    passkey = passkeys.verify_assertion(setup.session, ask, answer, setup.actor)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    setup.session.commit()
    # The very same answer again: its challenge is spent.
    _refused(setup, ask, answer, "challenge")


def test_an_answer_made_for_rotate_app_a_does_not_approve_delete_app_b(setup: Setup) -> None:
    made_for = _ask(setup, ROTATE_A)
    answer = setup.device.get(_options(setup, made_for))
    _refused(setup, _ask(setup, DELETE_B), answer, "challenge")
    _refused(setup, _ask(setup, ("app.delete", ROTATE_A[1])), answer, "challenge")
    _refused(setup, _ask(setup, ("app.rotate", DELETE_B[1])), answer, "challenge")
    # Nor in another browser session, nor for another purpose.
    _refused(setup, _ask(setup, ROTATE_A, passkeys.session_binding(2)), answer, "challenge")
    sign_in = passkeys.Ask(SESSION, passkeys.SIGN_IN, *ROTATE_A, user_id=setup.user.id)
    _refused(setup, sign_in, answer, "challenge")
    # Those attempts left it unspent: it still approves what it was made for, once.
    passkeys.verify_assertion(setup.session, made_for, answer, setup.actor)


def test_an_answer_from_another_origin_or_for_another_rp_id_is_refused(setup: Setup) -> None:
    ask = _ask(setup, ROTATE_A)
    phished = setup.device.get(_options(setup, ask), origin="https://newledger.example.net")
    _refused(setup, ask, phished, "invalid")
    ask = _ask(setup, ROTATE_A)
    other_rp = setup.device.get(_options(setup, ask), rp_id="example.net")
    _refused(setup, ask, other_rp, "invalid")
    assert setup.session.scalar(select(Passkey.sign_count)) == 0  # nothing was accepted


def test_a_counter_that_goes_backwards_or_stands_still_is_refused(setup: Setup) -> None:
    ask = _ask(setup, ROTATE_A)
    _accept(setup, ask, setup.device.get(_options(setup, ask), count=7))
    for count in (7, 3):
        ask = _ask(setup, ROTATE_A)
        _refused(setup, ask, setup.device.get(_options(setup, ask), count=count), "counter")
    assert setup.session.scalar(select(Passkey.sign_count)) == 7
    ask = _ask(setup, ROTATE_A)
    _accept(setup, ask, setup.device.get(_options(setup, ask), count=8))


def test_authenticators_without_a_counter_send_zero_every_time(setup: Setup) -> None:
    setup.device.counts = False
    for _ in range(3):
        ask = _ask(setup, ROTATE_A)
        _accept(setup, ask, setup.device.get(_options(setup, ask)))
    # Once a counter has been seen, 0 is a counter that went backwards.
    ask = _ask(setup, ROTATE_A)
    _accept(setup, ask, setup.device.get(_options(setup, ask), count=2))
    ask = _ask(setup, ROTATE_A)
    _refused(setup, ask, setup.device.get(_options(setup, ask)), "counter")


def test_a_removed_passkey_is_refused(setup: Setup) -> None:
    ask = _ask(setup, ROTATE_A)
    answer = setup.device.get(_options(setup, ask))
    [passkey] = setup.user.passkeys
    second_factor.remove_passkey(setup.session, setup.user, passkey.id, setup.actor)
    setup.session.commit()
    _refused(setup, ask, answer, "unknown_passkey")


def test_an_expired_challenge_and_a_tampered_signature_are_refused(setup: Setup) -> None:
    ask = _ask(setup, ROTATE_A)
    answer = setup.device.get(_options(setup, ask))
    for row in setup.session.scalars(select(PasskeyChallenge)):
        row.expires_at = row.created_at  # two minutes have passed
    setup.session.commit()
    _refused(setup, ask, answer, "challenge")
    ask = _ask(setup, ROTATE_A)
    tampered = json.loads(setup.device.get(_options(setup, ask)))
    signed = (
        base64url_to_bytes(tampered["response"]["authenticatorData"])
        + hashlib.sha256(base64url_to_bytes(tampered["response"]["clientDataJSON"])).digest()
    )
    impostor = ec.generate_private_key(ec.SECP256R1())
    forged = impostor.sign(signed, ec.ECDSA(hashes.SHA256()))
    tampered["response"]["signature"] = bytes_to_base64url(forged)
    _refused(setup, ask, json.dumps(tampered), "invalid")
    _refused(setup, ask, "{not json", "malformed")
