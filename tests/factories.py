"""Plain factory functions with keyword overrides, and the few helpers several test files share."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from itertools import count
from pathlib import Path
from xml.sax.saxutils import escape

from sqlmodel import Session, select

from consult.accounts.actions import RegisterInput, register_user
from consult.comments.actions import CommentInput, submit_comment
from consult.consultations.actions import (
    ConsultationInput,
    create_consultation,
    current_version,
    gate_for,
    get_or_create_thread,
)
from consult.models import Comment, Consultation, LedgerEvent, Membership, Organisation, Paragraph, User, utcnow
from consult.organisations.actions import OrganisationInput, create_organisation, verify_organisation
from consult.permissions import Principal

PASSWORD = "correct-horse-battery"
_n = count(1)


def principal(session: Session, user: User) -> Principal:
    rows = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(rows.all()))


def make_user(
    session: Session,
    *,
    email: str | None = None,
    display_name: str = "Anna Kowalska",
    password: str = PASSWORD,
    confirmed: bool = True,
    is_admin: bool = False,
) -> User:
    email = email or f"user{next(_n)}@example.pl"
    data = RegisterInput(email=email, display_name=display_name, password=password, password_confirm=password)
    user = register_user(session, data, is_admin=is_admin)
    if confirmed:
        user.confirmed_at = utcnow()
        session.add(user)
        session.commit()
    return user


def make_admin(session: Session, **overrides) -> User:
    return make_user(
        session, **{"email": f"admin{next(_n)}@example.pl", "display_name": "Admin", "is_admin": True, **overrides}
    )


def make_organisation(
    session: Session, *, admin: User | None = None, verified: bool = False, **profile
) -> Organisation:
    """An organisation whose first admin is `admin` (a new user when not given)."""
    admin = admin or make_user(session)
    values = {"name": f"Stowarzyszenie Testowe {next(_n)}", "kind": "ngo", **profile}
    creator = admin
    if values["kind"] == "municipality" and not admin.is_admin:
        creator = make_admin(session)
    organisation = create_organisation(session, principal(session, creator), OrganisationInput(**values))
    if creator is not admin:
        add_member(session, organisation, admin, role="admin")
    if verified:
        verify_organisation(session, principal(session, make_admin(session)), organisation)
    return organisation


def add_member(session: Session, organisation: Organisation, user: User, role: str = "member") -> Membership:
    membership = Membership(organisation_id=organisation.id, user_id=user.id, role=role)
    session.add(membership)
    session.commit()
    return membership


FIXTURES = Path(__file__).parent / "fixtures"
PROGRAMME_MD = FIXTURES / "program-wspolpracy-2027.md"
PROGRAMME_DOCX = FIXTURES / "program-wspolpracy-2027.docx"


def make_official(session: Session, municipality: Organisation | None = None, **overrides) -> tuple[User, Organisation]:
    """An official and the municipality they work for (a new, verified one when not given)."""
    official = make_user(session, **{"display_name": "Katarzyna Nowak", **overrides})
    if municipality is None:
        municipality = make_organisation(session, kind="municipality", name=f"Gmina Testowa {next(_n)}", verified=True)
    add_member(session, municipality, official, role="official")
    return official, municipality


def make_consultation(
    session: Session,
    *,
    official: User | None = None,
    municipality: Organisation | None = None,
    opens_in: timedelta = timedelta(days=-1),
    lasts: timedelta = timedelta(days=21),
    published: bool = True,
    document: str | None = None,
    **fields,
) -> Consultation:
    """A consultation of the fixture programme, open now unless told otherwise (opens_in > 0: scheduled)."""
    if official is None:
        official, municipality = make_official(session, municipality)
    assert municipality is not None
    opens_at = utcnow() + opens_in
    values = {
        "organisation_id": municipality.id,
        "title": f"Program współpracy na rok 2027 ({next(_n)})",
        "summary": "Projekt programu współpracy z organizacjami pozarządowymi.",
        "responsible_unit": "Referat Promocji",
        "contact_person": "Katarzyna Nowak",
        "opens_at": opens_at,
        "closes_at": opens_at + lasts,
        "document": document if document is not None else PROGRAMME_MD.read_text(encoding="utf-8"),
        **fields,
    }
    if lasts < timedelta(days=municipality.min_consultation_days):
        values.setdefault("short_window_reason", "Termin wynika z harmonogramu prac rady.")
    consultation = create_consultation(session, principal(session, official), ConsultationInput(**values))
    if published:
        consultation.published_at = utcnow()
        session.add(consultation)
        session.commit()
    return consultation


def close_consultation(session: Session, consultation: Consultation) -> None:
    """Close the consultation a minute ago, as the clock would: its status follows closes_at."""
    consultation.closes_at = utcnow() - timedelta(minutes=1)
    session.add(consultation)
    session.commit()


def paragraph_by_label(session: Session, consultation: Consultation, label: str) -> Paragraph:
    version = current_version(session, consultation)
    return session.exec(select(Paragraph).where(Paragraph.version_id == version.id, Paragraph.label == label)).one()


def make_comment(
    session: Session,
    consultation: Consultation,
    *,
    author: User | None = None,
    organisation: Organisation | None = None,
    paragraph: Paragraph | None = None,
    parent: Comment | None = None,
    body: str = "Proponujemy zmianę brzmienia.",
    **fields,
) -> Comment:
    """A comment through the real action (rules, ledger), by a member of a verified NGO unless told otherwise."""
    if author is None:
        author = make_user(session)
    if organisation is None:
        organisation = make_organisation(session, admin=author, verified=True)
    municipality = session.get(Organisation, consultation.organisation_id)
    if parent is not None:
        thread_id = parent.thread_id
    else:
        thread_id = get_or_create_thread(session, consultation, paragraph.key if paragraph else None).id
    data = CommentInput(body=body, organisation_id=organisation.id, **fields)
    return submit_comment(
        session, principal(session, author), thread_id, gate_for(consultation, municipality), data, parent
    )


def docx_with_paragraphs(*texts: str) -> bytes:
    """The fixture Word file with its body replaced by these plain paragraphs (no styles, no numbering)."""
    source = zipfile.ZipFile(PROGRAMME_DOCX)
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p>" for text in texts)
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{namespace}"><w:body>{body}</w:body></w:document>'
    )
    return rezipped(source, {"word/document.xml": document.encode()})


def rezipped(source: zipfile.ZipFile, replaced: dict[str, bytes]) -> bytes:
    """A copy of a zip file (a .docx) with some of its members replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, replaced.get(name, source.read(name)))
    return out.getvalue()


# --- the test's view of the application ----------------------------------------------------------


def signed_in(client, user: User):
    """The client, switched to English and logged in as the user."""
    client.cookies.set("consult_lang", "en")
    client.login(user.email)
    return client


def fresh(session: Session) -> None:
    """Forget what the test's session has read: see what the application has committed since."""
    session.rollback()
    session.expire_all()


def ledger_events(session: Session, action: str | None = None) -> list[LedgerEvent]:
    """The ledger's events as committed now, oldest first; only those of one action when given."""
    fresh(session)
    query = select(LedgerEvent).order_by(LedgerEvent.seq)
    if action:
        query = query.where(LedgerEvent.action == action)
    return list(session.exec(query).all())


def make_proposal(
    session: Session,
    consultation: Consultation,
    *,
    author: User | None = None,
    organisation: Organisation | None = None,
    title: str = "Dodać sport seniorów do priorytetów",
    body: str = "Proponujemy dopisać sport seniorów do zadań priorytetowych.",
    **fields,
):
    """A proposal through the real action (rules, thread, ledger), by a verified NGO's admin unless told otherwise."""
    from consult.proposals.actions import ProposalInput, submit_proposal

    if author is None:
        author = make_user(session)
    if organisation is None:
        organisation = make_organisation(session, admin=author, verified=True)
    data = ProposalInput(title=title, body=body, organisation_id=organisation.id, **fields)
    return submit_proposal(session, principal(session, author), consultation, data)
