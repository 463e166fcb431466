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


# --- networks (the forum) -------------------------------------------------------------------------

NETWORK_CHARTER = "Sieć zrzesza organizacje **czterech gmin**.\n\n- spotkania co kwartał\n- przyjęcia na spotkaniach"


def make_network(
    session: Session,
    *,
    coordinator: User | None = None,
    municipalities: list[Organisation] | None = None,
    name: str | None = None,
    charter: str = NETWORK_CHARTER,
):
    """A network through the real action, founded by a municipal official (its first coordinator) unless told."""
    from consult.networks.actions import NetworkInput, create_network

    if coordinator is None:
        coordinator, municipality = make_official(session, display_name="Koordynatorka Sieci")
        municipalities = municipalities or [municipality]
    if municipalities is None:
        municipalities = [make_organisation(session, kind="municipality", name=f"Gmina Sieciowa {next(_n)}")]
    data = NetworkInput(
        name=name or f"Sieć Organizacji {next(_n)}", charter=charter, municipalities=[m.id for m in municipalities]
    )
    return create_network(session, principal(session, coordinator), data)


def organisation_admin(session: Session, organisation: Organisation) -> User:
    """The organisation's first admin."""
    return session.exec(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation.id, Membership.role == "admin")
        .order_by(Membership.id)
    ).first()


def network_coordinator(session: Session, network) -> User:
    from consult.models import NetworkCoordinator

    row = session.exec(select(NetworkCoordinator).where(NetworkCoordinator.network_id == network.id)).first()
    return session.get(User, row.user_id)


def apply_to(session: Session, network, organisation: Organisation, *, admin: User | None = None, message: str = ""):
    """The organisation's application to the network, sent by its admin."""
    from consult.networks.actions import ApplicationInput, apply_to_network

    admin = admin or organisation_admin(session, organisation)
    data = ApplicationInput(organisation_id=organisation.id, message=message)
    return apply_to_network(session, principal(session, admin), network, data)


def admit_to_network(session: Session, network, organisation: Organisation, *, meeting=None, note: str = ""):
    """The organisation applied and a coordinator admitted it (at the meeting, when given)."""
    from consult.networks.actions import DecisionInput, decide_application

    application = apply_to(session, network, organisation)
    data = DecisionInput(decision="admit", note=note, meeting_id=meeting.id if meeting else None)
    coordinator = network_coordinator(session, network)
    return decide_application(session, principal(session, coordinator), network, application.id, data)


def make_network_meeting(
    session: Session, network, *, starts_in: timedelta, kind: str = "quarterly", title: str | None = None, **fields
):
    """A published meeting of the network, made directly (the meetings feature has its own actions)."""
    from consult.models import Meeting, NetworkMunicipality

    starts_at = utcnow() + starts_in
    spanned = select(NetworkMunicipality.municipality_id).where(NetworkMunicipality.network_id == network.id)
    organiser = fields.pop("organisation_id", None) or session.exec(spanned).first()
    meeting = Meeting(
        slug=f"spotkanie-sieci-{next(_n)}",
        title=title or f"Spotkanie kwartalne sieci {next(_n)}",
        kind=kind,
        organisation_id=organiser,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        venue_address="Świetlica wiejska, ul. Szkolna 3, Wierzbno",
        audience="network",
        network_id=network.id,
        published_at=utcnow() - timedelta(days=40),
        **fields,
    )
    session.add(meeting)
    session.commit()
    return meeting


def register_organisation(
    session: Session, meeting, organisation: Organisation, *, attended: int | None = None, **fields
):
    """An organisation's registration for a meeting, made directly, with how many came when given."""
    from consult.models import Registration

    registration = Registration(
        meeting_id=meeting.id,
        organisation_id=organisation.id,
        registered_by_id=organisation_admin(session, organisation).id,
        attended=attended,
        **fields,
    )
    session.add(registration)
    session.commit()
    return registration


# --- rooms and equipment lent between organisations (consult.resources) --------------------------------------


def make_resource(session: Session, organisation: Organisation, **fields):
    """A room offered by the organisation through the real action (its first admin adds it), unless told otherwise."""
    from consult.resources.actions import ResourceInput, create_resource

    values = {
        "kind": "room",
        "name": "Sala konferencyjna",
        "address": "ul. Szkolna 3, Wierzbno",
        "capacity": 30,
        "step_free": True,
        "equipment": "rzutnik, ekran, 30 krzeseł",
        **fields,
    }
    admin = principal(session, organisation_admin(session, organisation))
    return create_resource(session, admin, organisation, ResourceInput(**values))


def make_booking(
    session: Session,
    resource,
    borrower: Organisation,
    *,
    starts_in: timedelta = timedelta(days=7),
    hours: int = 3,
    accepted: bool = False,
    by: User | None = None,
    **fields,
):
    """A request for the resource in the borrower's name by its first admin (or `by`), accepted when asked."""
    from consult.resources.bookings import BookingInput, DecisionInput, decide_booking, request_booking

    starts_at = (utcnow() + starts_in).replace(second=0, microsecond=0)
    values = {
        "organisation_id": borrower.id,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=hours),
        "head_count": 10 if resource.kind == "room" else None,
        "purpose": "Spotkanie zarządu",
        **fields,
    }
    asker = by or organisation_admin(session, borrower)
    booking = request_booking(session, principal(session, asker), resource, BookingInput(**values))
    if accepted:
        owner = principal(session, organisation_admin(session, session.get(Organisation, resource.organisation_id)))
        booking, _ = decide_booking(session, owner, booking, DecisionInput(decision="accept"))
    return booking


# --- working groups (consult/groups) --------------------------------------------------------------


def make_group(
    session: Session,
    *,
    coordinator: User | None = None,
    organisation: Organisation | None = None,
    closes_in: timedelta = timedelta(days=14),
    name: str | None = None,
    goal: str = "Wypracować **mapę drogową** współpracy z organizacjami.",
    **fields,
):
    """A working group through the real action, run by a municipality whose official coordinates it (new ones
    unless given), taking declarations for two weeks unless told otherwise."""
    from consult.groups.actions import GroupInput, create_group

    if coordinator is None:
        coordinator, organisation = make_official(session, organisation)
    assert organisation is not None
    data = GroupInput(
        name=name or f"Grupa robocza {next(_n)}",
        goal=goal,
        organisation_id=organisation.id,
        declarations_close_at=utcnow() + closes_in,
        **fields,
    )
    return create_group(session, principal(session, coordinator), data)


def close_declarations(session: Session, group) -> None:
    """The group's deadline a minute ago, as the clock would have it."""
    group.declarations_close_at = utcnow() - timedelta(minutes=1)
    session.add(group)
    session.commit()


def make_declaration(
    session: Session,
    group,
    *,
    user: User | None = None,
    organisation: Organisation | None = None,
    accepted: bool = False,
    **fields,
):
    """A declaration through the real action: an individual's (a new person unless given), or the organisation's
    when one is given (its admin sends it unless `user` is given); accepted by the coordinator when asked."""
    from consult.groups.actions import DecisionInput, DeclarationInput, decide_declaration, submit_declaration
    from consult.groups.queries import load_access

    if user is None:
        user = (
            make_user(session, display_name="Jan Lider")
            if organisation is None
            else organisation_admin(session, organisation)
        )
    values = {
        "kind": "organisation" if organisation else "individual",
        "organisation_id": organisation.id if organisation else None,
        "name": user.display_name,
        "contact": user.email,
        "motivation": "Chcę pomóc w pracach grupy.",
        **fields,
    }
    declaration = submit_declaration(session, principal(session, user), group, DeclarationInput(**values))
    if accepted:
        coordinator = session.get(User, group.coordinator_id)
        access = load_access(session, group)
        decision = DecisionInput(decision="accept")
        decide_declaration(session, principal(session, coordinator), access, declaration, decision, "http://t/g")
    return declaration


def make_group_document(session: Session, group, *, text: str | None = None, title: str = "Mapa drogowa"):
    """A group document (the road map) written by the coordinator from text."""
    from consult.groups.documents import DocumentInput, create_document
    from consult.groups.queries import load_access

    text = text or ROAD_MAP
    coordinator = session.get(User, group.coordinator_id)
    data = DocumentInput(title=title, document=text)
    return create_document(session, principal(session, coordinator), load_access(session, group), data)


ROAD_MAP = """# Mapa drogowa grupy roboczej

## § 1. Cele

1. Grupa przygotowuje standardy współpracy gminy z organizacjami.
2. Grupa proponuje zmiany w programie współpracy na kolejny rok.

## § 2. Harmonogram

1. Pierwsze spotkanie odbywa się po terminie składania deklaracji.
2. Grupa przedstawia wnioski na forum we wrześniu.
"""


# --- meetings ---------------------------------------------------------------------------------------------


def make_meeting(
    session: Session,
    *,
    organiser: User | None = None,
    organisation: Organisation | None = None,
    title: str | None = None,
    starts_in: timedelta = timedelta(days=14),
    lasts: timedelta = timedelta(hours=3),
    capacity: int | None = None,
    breakouts: tuple[tuple[str, int | None], ...] = (),
    published: bool = True,
    **fields,
):
    """A meeting through the real actions (rules, ledger), organised by a verified NGO's admin unless told otherwise,
    published unless told otherwise; `breakouts` as (name, places)."""
    from consult.meetings.actions import MeetingInput, create_meeting, publish_meeting

    if organiser is None:
        organiser = make_user(session, display_name="Organizatorka Spotkań")
    if organisation is None:
        organisation = make_organisation(session, admin=organiser, verified=True)
    starts = utcnow().replace(second=0, microsecond=0) + starts_in
    values = {
        "title": title or f"Spotkanie kwartalne sieci ({next(_n)})",
        "kind": "quarterly",
        "organisation_id": organisation.id,
        "starts_at": starts,
        "ends_at": starts + lasts,
        "venue_address": "Wierzbno, ul. Szkolna 1, świetlica",
        "capacity": capacity,
        "breakout_name": [name for name, _places in breakouts],
        "breakout_capacity": ["" if places is None else str(places) for _name, places in breakouts],
        "breakouts": ["" for _ in breakouts],
        **fields,
    }
    who = principal(session, organiser)
    meeting = create_meeting(session, who, MeetingInput(**values))
    if published:
        publish_meeting(session, who, meeting)
    return meeting


def register_for(
    session: Session,
    meeting,
    *,
    user: User | None = None,
    organisation: Organisation | None = None,
    head_count: int = 1,
    participants: list[str] | None = None,
    breakout=None,
    myself: bool = False,
    **fields,
):
    """A registration through the real action: a new verified NGO's admin registers it unless told otherwise;
    `myself` registers the user on their own."""
    from consult.meetings.registrations import RegistrationInput, register_for_meeting

    if user is None:
        user = make_user(session)
    if organisation is None and not myself:
        organisation = make_organisation(session, admin=user, verified=True)
    names = participants if participants is not None else [f"Uczestnik {i + 1}" for i in range(head_count)]
    data = RegistrationInput(
        organisation_id=None if myself else organisation.id,
        head_count=head_count,
        participants="\n".join(names) if not myself or participants else "",
        breakout_id=breakout.id if breakout is not None else None,
        **fields,
    )
    return register_for_meeting(session, principal(session, user), meeting, data)


def make_survey(
    session: Session,
    *,
    official: User | None = None,
    municipality: Organisation | None = None,
    template: str = "cooperation_evaluation",
    opened: bool = True,
    **fields,
):
    """A survey of the municipality built by its official from a ready template (open now, for two weeks, unless
    told otherwise) through the real actions."""
    from datetime import timedelta

    from consult.surveys.actions import SurveyInput, create_survey, open_survey
    from consult.surveys.ready import READY

    if official is None:
        official, municipality = make_official(session, municipality)
    values = {
        "owner": f"organisation:{municipality.id}",
        "template": template,
        "opens_at": utcnow() - timedelta(hours=1),
        "closes_at": utcnow() + timedelta(days=14),
        "anonymous": READY[template].anonymous if template else False,
        **fields,
    }
    survey = create_survey(session, principal(session, official), SurveyInput(**values))
    if opened:
        open_survey(session, principal(session, official), survey)
    return survey
