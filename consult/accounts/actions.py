"""Accounts: register, confirm, log in (throttled), reset a password; sessions and signed links."""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import delete
from sqlmodel import Session, col, select

from consult import ledger
from consult.forms import DomainError, invalid
from consult.i18n import _
from consult.models import AuthSession, LoginAttempt, Membership, User, utcnow
from consult.throttle import aware, check_rate

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes).
hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
CONFIRM_MAX_AGE = timedelta(days=3)
RESET_MAX_AGE = timedelta(hours=2)
SESSION_MAX_AGE = timedelta(days=14)  # as the signed cookie: a stolen cookie dies with its session
COMMON_PASSWORDS = {
    "password123", "1234567890", "qwertyuiop", "haslo12345", "zaq12wsxcde",
    "administrator", "qwerty1234", "polska1234", "1qaz2wsx3edc", "password1234",
}  # fmt: skip


def normalise_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise invalid(_("Enter a valid e-mail address, like name@example.pl.")) from exc


def check_password_strength(password: str) -> str:
    if len(password) < 10:
        raise invalid(_("Use at least 10 characters for the password."))
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        raise invalid(_("This password is too easy to guess. Choose a less common one."))
    return password


class RegisterInput(BaseModel):
    email: str
    display_name: str = Field(min_length=1, max_length=120)
    password: str
    password_confirm: str

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str) -> str:
        return check_password_strength(value)


class LoginInput(BaseModel):
    email: str = Field(min_length=1)
    password: str = Field(min_length=1)


class ForgotInput(BaseModel):
    email: str

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return normalise_email(value)


class ResetInput(BaseModel):
    password: str
    password_confirm: str

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str) -> str:
        return check_password_strength(value)


# --- signed links -------------------------------------------------------------------------


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"consult.{purpose}")


def make_confirm_token(secret: str, user: User) -> str:
    return _serializer(secret, "confirm").dumps({"uid": user.id, "email": user.email})


def _reset_key(token_id: str) -> str:
    return f"reset:{ledger.sha256_hex(token_id)}:"


def make_reset_token(session: Session, secret: str, user: User) -> str:
    """A signed random id; only its hash is stored, beside the user's id (the caller commits).

    The link tells nothing about the account: neither the user's id nor anything of the password's hash.
    """
    token_id = secrets.token_urlsafe(24)
    session.add(LoginAttempt(key=_reset_key(token_id) + str(user.id)))
    return _serializer(secret, "reset").dumps({"t": token_id})


def _load(secret: str, purpose: str, token: str, max_age: timedelta) -> dict:
    try:
        data = _serializer(secret, purpose).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise DomainError("", _("This link has expired. Ask for a new one."), 400) from exc
    except BadSignature as exc:
        raise DomainError("", _("This link is not valid. Check that you copied all of it."), 400) from exc
    if not isinstance(data, dict):
        raise DomainError("", _("This link is not valid. Check that you copied all of it."), 400)
    return data


# --- queries ------------------------------------------------------------------------------


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def load_principal(session: Session, session_id: str):
    """The user of a server-side session with their roles, or None."""
    from consult.permissions import Principal

    # One query, user and roles together: every signed-in request pays for it (a round trip less on PostgreSQL).
    rows = session.exec(
        select(User, Membership.organisation_id, Membership.role)
        .join(AuthSession, AuthSession.user_id == User.id)
        .outerjoin(Membership, col(Membership.user_id) == User.id)
        .where(AuthSession.id == session_id, AuthSession.created_at >= utcnow() - SESSION_MAX_AGE)
    ).all()
    if not rows:
        return None
    roles = {org_id: role for _user, org_id, role in rows if org_id is not None}
    return Principal(user=rows[0][0], roles=roles)


# --- actions ------------------------------------------------------------------------------


def register_user(session: Session, data: RegisterInput, *, is_admin: bool = False, password_hash: str = "") -> User:
    if data.password != data.password_confirm:
        raise DomainError("password_confirm", _("The passwords do not match."))
    if get_user_by_email(session, data.email):
        raise DomainError("email", _("An account with this e-mail address already exists. Log in instead."))
    salt = secrets.token_hex(16)
    user = User(
        email=data.email,
        display_name=data.display_name,
        password_hash=password_hash or hasher.hash(data.password),
        personal_salt=salt,
        is_admin=is_admin,
    )
    session.add(user)
    session.flush()
    ledger.append(
        session,
        actor_id=user.id,
        action="user.registered",
        subject_kind="user",
        subject_id=user.id,
        payload={"email": ledger.commitment(salt, user.email), "is_admin": is_admin},
    )
    session.commit()
    return user


def sign_up(session: Session, data: RegisterInput, client_ip: str) -> tuple[User, bool]:
    """The public form: (the new user, True), or (whoever already holds the address, False).

    The page answers the same either way, in the same time; only the mail the address receives differs.
    """
    if data.password != data.password_confirm:
        raise DomainError("password_confirm", _("The passwords do not match."))
    check_rate(session, "account.register", f"ip:{client_ip}", f"email:{data.email}")
    password_hash = hasher.hash(data.password)  # for a taken address too: the answer takes as long
    existing = get_user_by_email(session, data.email)
    if existing is not None:
        session.commit()
        return existing, False
    return register_user(session, data, password_hash=password_hash), True


def confirm_user(session: Session, secret: str, token: str) -> User:
    data = _load(secret, "confirm", token, CONFIRM_MAX_AGE)
    user = session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise DomainError("", _("This link is not valid. Check that you copied all of it."), 400)
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()
        session.add(user)
        ledger.append(session, actor_id=user.id, action="user.confirmed", subject_kind="user", subject_id=user.id)
        session.commit()
    return user


@cache
def _dummy_hash() -> str:
    return hasher.hash(secrets.token_hex(16))


def _since(window: timedelta):
    return utcnow() - window


def _failures(session: Session, key: str, window: timedelta) -> list:
    return session.exec(select(LoginAttempt.at).where(LoginAttempt.key == key, LoginAttempt.at >= _since(window))).all()


def login_wait(failures: int, free: int, window: timedelta) -> timedelta:
    """The pause before the next try after `failures` in a row: none for the first `free`, then doubling."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - free + 1)), window)


def _refuse_for(wait: timedelta) -> DomainError:
    seconds = math.ceil(wait.total_seconds())
    if seconds < 120:
        return DomainError("", _("Too many failed attempts. Try again in %(seconds)s s."), 429, seconds=seconds)
    minutes = math.ceil(seconds / 60)
    return DomainError("", _("Too many failed attempts. Try again in %(minutes)s min."), 429, minutes=minutes)


def authenticate(session: Session, data: LoginInput, client_ip: str, *, max_failures: int, window: timedelta) -> User:
    """The user whose password matches, or a DomainError.

    Failures count per e-mail *and* address together, with a pause that doubles after `max_failures`: whoever
    guesses from one address slows only themselves, never the owner elsewhere. One address failing across many
    accounts (password spraying) is stopped as a whole. The time taken does not tell whether the account exists.
    """
    pair_key = f"login:{ledger.sha256_hex(data.email.strip().lower() + '|' + client_ip)[:40]}"
    ip_key = f"ip:{client_ip}"
    expired = col(LoginAttempt.key).in_([pair_key, ip_key]) & (LoginAttempt.at < _since(window))
    session.exec(delete(LoginAttempt).where(expired))
    pair = _failures(session, pair_key, window)
    if len(pair) >= max_failures:
        wait = aware(max(pair)) + login_wait(len(pair), max_failures, window) - utcnow()
        if wait > timedelta(0):
            raise _refuse_for(wait)
    if len(_failures(session, ip_key, window)) >= max_failures * 10:
        raise _refuse_for(window)
    user = get_user_by_email(session, data.email)
    try:
        ok = hasher.verify(user.password_hash if user else _dummy_hash(), data.password) and user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        session.add_all([LoginAttempt(key=pair_key), LoginAttempt(key=ip_key)])
        session.commit()
        raise DomainError("password", _("The e-mail address or password is not correct."), 400)
    if user.confirmed_at is None:
        raise DomainError("email", _("Confirm your e-mail address first: open the link we sent you."), 403)
    session.exec(delete(LoginAttempt).where(LoginAttempt.key == pair_key))
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(data.password)
        session.add(user)
    session.commit()
    return user


def start_session(session: Session, user: User) -> str:
    """A new server-side session; its id goes into the signed cookie (a fresh id at every log-in)."""
    auth = AuthSession(id=secrets.token_urlsafe(32), user_id=user.id)
    session.add(auth)
    session.commit()
    return auth.id


def end_session(session: Session, session_id: str) -> None:
    session.exec(delete(AuthSession).where(AuthSession.id == session_id))
    session.commit()


def request_password_reset(session: Session, secret: str, email: str, client_ip: str) -> tuple[User, str] | None:
    """The account and a new reset token, or None for an unknown address; throttled either way, alike."""
    check_rate(session, "password.reset_mail", f"ip:{client_ip}", f"email:{email}")
    unused = col(LoginAttempt.key).startswith("reset:") & (LoginAttempt.at < _since(RESET_MAX_AGE))
    session.exec(delete(LoginAttempt).where(unused))
    user = get_user_by_email(session, email)
    token = make_reset_token(session, secret, user) if user is not None else ""
    session.commit()
    return (user, token) if user is not None else None


def user_for_reset(session: Session, secret: str, token: str) -> User:
    data = _load(secret, "reset", token, RESET_MAX_AGE)
    token_id = data.get("t")
    stored = (
        session.exec(
            select(LoginAttempt.key).where(
                col(LoginAttempt.key).startswith(_reset_key(token_id), autoescape=True),
                LoginAttempt.at >= _since(RESET_MAX_AGE),
            )
        ).first()
        if isinstance(token_id, str)
        else None
    )
    user = session.get(User, int(stored.rsplit(":", 1)[1])) if stored else None
    if user is None:
        raise DomainError("", _("This link has already been used or is no longer valid. Ask for a new one."), 400)
    return user


def reset_password(session: Session, secret: str, token: str, data: ResetInput) -> User:
    if data.password != data.password_confirm:
        raise DomainError("password_confirm", _("The passwords do not match."))
    user = user_for_reset(session, secret, token)
    user.password_hash = hasher.hash(data.password)
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()  # the link reached their inbox: the address is theirs
    session.add(user)
    # Every open session ends: whoever knew the old password is logged out. Every reset link dies with them.
    session.exec(delete(AuthSession).where(AuthSession.user_id == user.id))
    mine = col(LoginAttempt.key).startswith("reset:") & col(LoginAttempt.key).endswith(f":{user.id}")
    session.exec(delete(LoginAttempt).where(mine))
    ledger.append(session, actor_id=user.id, action="user.password_reset", subject_kind="user", subject_id=user.id)
    session.commit()
    return user
