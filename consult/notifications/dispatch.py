"""The one door for telling people something: features call `notify`, the settings decide mail now, digest or never.

Every mail carries a one-click unsubscribe link for its kind: a token signed with the site's key (itsdangerous,
salted, expiring) in the body and in the `List-Unsubscribe` and `List-Unsubscribe-Post` headers (RFC 8058). The
token is the authority: it names the person and the kinds, and only the site can make one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from weakref import WeakKeyDictionary

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from consult.errors import DomainError
from consult.i18n import _, gettext
from consult.mail import queue_mail
from consult.models import NotificationItem, NotificationSetting, User, utcnow
from consult.settings import Settings

# Every kind a person can choose for: immediately, in the weekly digest, or never.
KINDS = (
    "consultation_new",  # a new consultation in my municipalities
    "comment_reply",  # a reply to my comment
    "position",  # a position on my organisation's contribution
    "record_published",  # a published record of a consultation I took part in
    "announcement",  # announcements for my networks and municipalities
    "funding_deadline",  # a funding deadline in my fields, 7 days before
    "meeting_reminder",  # a meeting I registered for, 2 days before
    "registration_promoted",  # my registration promoted from the waiting list
    "declaration_decided",  # my declaration to a working group decided
    "advice",  # an answer to my organisation's advice request (and new requests, for advisors)
)
MODES = ("immediate", "digest", "never")
# News about many things comes weekly by default; what concerns the person's own step, or a date, comes at once.
DEFAULTS = {
    "consultation_new": "digest",
    "comment_reply": "immediate",
    "position": "immediate",
    "record_published": "immediate",
    "announcement": "digest",
    "funding_deadline": "immediate",
    "meeting_reminder": "immediate",
    "registration_promoted": "immediate",
    "declaration_decided": "immediate",
    "advice": "immediate",
}
KIND_LABELS = {
    "consultation_new": _("A new consultation in my municipalities"),
    "comment_reply": _("Replies to my comments"),
    "position": _("Positions on my organisation's contributions"),
    "record_published": _("A published record of a consultation I took part in"),
    "announcement": _("Announcements for my networks and municipalities"),
    "funding_deadline": _("Funding deadlines in my fields (7 days before)"),
    "meeting_reminder": _("Meeting reminders (2 days before)"),
    "registration_promoted": _("My registration moved from the waiting list"),
    "declaration_decided": _("Decisions on my declarations to working groups"),
    "advice": _("Advice from the support centre"),
}
MODE_LABELS = {"immediate": _("Immediately"), "digest": _("In the weekly digest"), "never": _("Never")}
TOKEN_AGE = timedelta(days=90)  # a mail read months later still unsubscribes; an old leaked one stops working
TOKEN_SALT = "consult.unsubscribe"

# The settings of the application that owns an engine: `notify` runs inside actions, which have only the session,
# yet must sign links with the site's key and point them at its address.
_settings_by_engine: WeakKeyDictionary[Engine, Settings] = WeakKeyDictionary()


def remember_settings(engine: Engine, settings: Settings) -> None:
    _settings_by_engine[engine] = settings


def settings_for(session: Session) -> Settings:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return _settings_by_engine.get(engine) or Settings()


# --- tokens ---------------------------------------------------------------------------------


class _ClockSigner(TimestampSigner):
    """Signs and ages tokens by the domain's clock (`utcnow`), so that `clock_at` moves them too."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT, signer=_ClockSigner)


def make_token(secret: str, user_id: int, kinds: Iterable[str]) -> str:
    return _serializer(secret).dumps({"u": user_id, "k": sorted(set(kinds))})


def read_token(secret: str, token: str) -> tuple[int, list[str]]:
    """The person and kinds a token unsubscribes; DomainError (400) when it is expired, forged or malformed."""
    try:
        data = _serializer(secret).loads(token, max_age=int(TOKEN_AGE.total_seconds()))
    except SignatureExpired as exc:
        raise DomainError("", _("This unsubscribe link has expired. Nothing was changed."), 400) from exc
    except BadSignature as exc:
        raise DomainError("", _("This unsubscribe link is not valid. Nothing was changed."), 400) from exc
    user_id, kinds = (data.get("u"), data.get("k")) if isinstance(data, dict) else (None, None)
    if not isinstance(user_id, int) or not isinstance(kinds, list) or not kinds or not set(kinds) <= set(KINDS):
        raise DomainError("", _("This unsubscribe link is not valid. Nothing was changed."), 400)
    return user_id, kinds


def unsubscribe_url(settings: Settings, token: str) -> str:
    from starlette.routing import Router

    from consult.notifications.views import routes

    path = Router(routes=routes).url_path_for("notifications:unsubscribe", token=token)
    return settings.base_url.rstrip("/") + str(path)


def unsubscribe_headers(settings: Settings, url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: a one-click https link (and a mailto where the site has an address for it)."""
    targets = [f"<{url}>"]
    if settings.unsubscribe_mailto:
        targets.append(f"<mailto:{settings.unsubscribe_mailto}?subject=unsubscribe>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def queue_notification_mail(
    session: Session, settings: Settings, user: User, kinds: list[str], subject: str, body: str
) -> None:
    """Queue one mail with its unsubscribe link for these kinds, in the body and in the headers."""
    url = unsubscribe_url(settings, make_token(settings.secret_key, user.id, kinds))
    footer = gettext("You receive this because of your notification settings. To stop these e-mails, open: %(url)s")
    body = f"{body.rstrip()}\n\n-- \n{footer % {'url': url}}\n"
    queue_mail(session, user.email, subject, body, headers=unsubscribe_headers(settings, url))


# --- settings -------------------------------------------------------------------------------


def modes_of(session: Session, user_ids: list[int]) -> dict[int, dict[str, str]]:
    """Each person's mode for every kind (their choice, else the default), in one query."""
    modes = {user_id: dict(DEFAULTS) for user_id in user_ids}
    if user_ids:
        rows = session.exec(select(NotificationSetting).where(col(NotificationSetting.user_id).in_(user_ids))).all()
        for row in rows:
            if row.kind in DEFAULTS and row.mode in MODES:
                modes[row.user_id][row.kind] = row.mode
    return modes


# --- the door -------------------------------------------------------------------------------


def notify(
    session: Session,
    user_ids: Iterable[int | None],
    kind: str,
    subject: str,
    body: str,
    link: str,
    *,
    settings: Settings | None = None,
) -> int:
    """Tell these people about one thing of this kind, in the caller's transaction (the caller commits).

    `link` is the absolute URL of the thing ("" when the body already holds it); the mail's body ends with it.
    A person who chose "immediately" gets a mail now, "weekly digest" a line in the next digest, "never" nothing.
    Only confirmed accounts are told. Returns how many were told (mail or digest)."""
    assert kind in KINDS, kind
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return 0
    settings = settings or settings_for(session)
    modes = modes_of(session, ids)
    told = 0
    users = session.exec(
        select(User).where(col(User.id).in_(ids), col(User.confirmed_at).is_not(None)).order_by(col(User.id))
    ).all()
    for user in users:
        mode = modes[user.id][kind]
        if mode == "immediate":
            text = f"{body.rstrip()}\n\n{link}\n" if link else body
            queue_notification_mail(session, settings, user, [kind], subject, text)
        elif mode == "digest":
            session.add(NotificationItem(user_id=user.id, kind=kind, subject=subject[:300], body=body, link=link))
        else:
            continue
        told += 1
    return told
