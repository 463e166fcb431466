"""Demo data: the municipality of Wierzbno and five organisations around it (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from consult.accounts.actions import RegisterInput, get_user_by_email, register_user
from consult.advice.demo import load_answered as load_answered_advice
from consult.commitments.demo import load as load_commitments
from consult.demo_forum import load_forum
from consult.demo_information import load_information
from consult.demo_last_year import OPENS, load_last_year
from consult.models import Membership, Organisation, User, clock_at, utcnow
from consult.organisations import actions as orgs
from consult.permissions import Principal
from consult.surveys.demo import load as load_surveys
from consult.surveys.demo import load_evaluation as load_evaluation_survey

DEMO_PASSWORD = "demo-haslo-2026"
JOINED = OPENS - timedelta(days=40)  # when the demo's people and organisations joined: late August 2025
DOMAIN = "wierzbno.example"

PEOPLE = [
    # e-mail, name, platform admin
    (f"admin@{DOMAIN}", "Administrator platformy", True),
    (f"urzednik@{DOMAIN}", "Katarzyna Nowak", False),
    (f"klub@{DOMAIN}", "Tomasz Wiśniewski", False),
    (f"kgw@{DOMAIN}", "Halina Zając", False),
    (f"osp@{DOMAIN}", "Marek Kowalczyk", False),
    (f"seniorzy@{DOMAIN}", "Zofia Lewandowska", False),
    (f"fundacja@{DOMAIN}", "Paweł Dąbrowski", False),
    (f"mieszkanka@{DOMAIN}", "Ewa Mazur", False),
    (f"doradca@{DOMAIN}", "Agnieszka Kamińska", False),
]

MUNICIPALITY = "Gmina Wierzbno"
SUPPORT_CENTRE = "Centrum Wspierania Organizacji Pozarządowych w Wierzbnie"  # its member is the demo's advisor
# Wierzbno's neighbours, spanned by the local action group's network of NGOs (the forum's demo).
NEIGHBOURS = ("Gmina Brzezinka", "Gmina Stare Pole", "Gmina Lipno Małe")

ORGANISATIONS = [
    # creator (its first admin), profile
    (
        f"admin@{DOMAIN}",
        {
            "name": "Gmina Wierzbno",
            "kind": "municipality",
            "area_served": "Gmina Wierzbno",
            "fields": [],
            "contact_email": f"ngo@{DOMAIN}",
            "contact_phone": "+48 48 123 45 00",
            "description": "Urząd Gminy Wierzbno, Referat Promocji i Współpracy z Organizacjami Pozarządowymi.",
        },
    ),
    (
        f"klub@{DOMAIN}",
        {
            "name": "Ludowy Klub Sportowy „Orzeł” Wierzbno",
            "kind": "ngo",
            "krs": "0000123456",
            "fields": ["sport", "youth"],
            "area_served": "Gmina Wierzbno",
            "description": "Piłka nożna i tenis stołowy dla dzieci, młodzieży i dorosłych od 1958 roku.",
        },
    ),
    (
        f"kgw@{DOMAIN}",
        {
            "name": "Koło Gospodyń Wiejskich w Olszance",
            "kind": "ngo",
            "krs": "0000876543",
            "fields": ["culture", "seniors"],
            "area_served": "Olszanka i okolice",
            "description": "Kultywujemy tradycje kulinarne i rękodzieło, prowadzimy warsztaty dla mieszkańców.",
        },
    ),
    (
        f"osp@{DOMAIN}",
        {
            "name": "Ochotnicza Straż Pożarna w Wierzbnie",
            "kind": "ngo",
            "krs": "0000234567",
            "fields": ["safety", "youth"],
            "area_served": "Gmina Wierzbno",
            "description": "Ratownictwo, edukacja przeciwpożarowa i Młodzieżowa Drużyna Pożarnicza.",
        },
    ),
    (
        f"seniorzy@{DOMAIN}",
        {
            "name": "Stowarzyszenie Seniorów „Złota Jesień”",
            "kind": "ngo",
            "krs": "0000345678",
            "fields": ["seniors", "social_services", "health"],
            "area_served": "Wierzbno",
            "description": "Klub seniora, zajęcia ruchowe, wycieczki i pomoc sąsiedzka.",
        },
    ),
    (
        f"fundacja@{DOMAIN}",
        {
            "name": "Fundacja Kultury „Most”",
            "kind": "ngo",
            "krs": "0000456789",
            "fields": ["culture", "education", "ngo_development"],
            "area_served": "Powiat wierzbnowski",
            "description": "Festiwal „Most nad Wierzbnicą”, warsztaty teatralne i wsparcie dla młodych organizacji.",
        },
    ),
    (
        f"doradca@{DOMAIN}",
        {
            "name": SUPPORT_CENTRE,
            "kind": "ngo",
            "krs": "0000567890",
            "fields": ["ngo_development", "education"],
            "area_served": "Gmina Wierzbno, Brzezinka, Stare Pole i Lipno Małe",
            "contact_email": f"centrum@{DOMAIN}",
            "description": "Międzygminne centrum wsparcia: doradztwo, szkolenia, informacja, sale i sprzęt.",
        },
    ),
    *(
        (
            f"admin@{DOMAIN}",
            {
                "name": name,
                "kind": "municipality",
                "area_served": name,
                "fields": [],
                "description": f"Urząd {name.replace('Gmina', 'Gminy')}: sąsiad Wierzbna w lokalnej grupie działania.",
            },
        )
        for name in NEIGHBOURS
    ),
]


def _principal(session: Session, user: User) -> Principal:
    rows = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(rows.all()))


def _user(session: Session, email: str, name: str, is_admin: bool) -> User:
    user = get_user_by_email(session, email)
    if user is None:
        data = RegisterInput(email=email, display_name=name, password=DEMO_PASSWORD, password_confirm=DEMO_PASSWORD)
        user = register_user(session, data, is_admin=is_admin)
        user.confirmed_at = utcnow()
        session.add(user)
        session.commit()
    return user


def load_demo(session: Session) -> list[tuple[str, str]]:
    """Create what is missing; return the demo log-ins with what each can do.

    In the order it happened, so every time shown and every time in the ledger reads in order: the people and the
    organisations joined the platform last summer, last autumn's consultation ran on its dates, this year's runs now.
    """
    with clock_at(JOINED):
        users = _people_and_organisations(session)
    gmina = session.exec(select(Organisation).where(Organisation.name == MUNICIPALITY)).first()
    if gmina:
        load_last_year(session, users, gmina, lambda user: _principal(session, user), DOMAIN)
        load_evaluation_survey(session, DOMAIN, MUNICIPALITY)  # December 2025
        load_commitments(session, DOMAIN, MUNICIPALITY)  # last year's commitments followed through this year
        load_answered_advice(session, DOMAIN, MUNICIPALITY)  # a fortnight ago
        load_surveys(session, DOMAIN, MUNICIPALITY)  # a few days ago, just before this year's consultation
        _demo_consultation(session, users, gmina)
        _demo_proposals(session, users)
        _demo_cosign_and_entry(session, users)
        load_forum(session, DOMAIN, MUNICIPALITY, NEIGHBOURS)
        load_information(session, DOMAIN, MUNICIPALITY)
    return LOG_INS


def _people_and_organisations(session: Session) -> dict[str, User]:
    """The demo's people, its organisations (verified), the official in the municipality, and its council."""
    users = {email: _user(session, email, name, admin) for email, name, admin in PEOPLE}
    admin = users[f"admin@{DOMAIN}"]
    for creator_email, profile in ORGANISATIONS:
        if session.exec(select(Organisation).where(Organisation.name == profile["name"])).first():
            continue
        creator = users[creator_email]
        organisation = orgs.create_organisation(
            session, _principal(session, creator), orgs.OrganisationInput(**profile)
        )
        orgs.verify_organisation(session, _principal(session, admin), organisation)
    gmina = session.exec(select(Organisation).where(Organisation.name == MUNICIPALITY)).first()
    official = users[f"urzednik@{DOMAIN}"]
    if gmina and gmina.id not in _principal(session, official).roles:
        invitation = orgs.invite_member(
            session, _principal(session, admin), gmina, orgs.InvitationInput(email=official.email, role="official")
        )
        session.commit()
        orgs.accept_invitation(session, _principal(session, official), invitation.id)
    if gmina:
        _demo_council(session, users, gmina)
    centre = session.exec(select(Organisation).where(Organisation.name == SUPPORT_CENTRE)).first()
    if centre and not centre.support_centre:
        centre.support_centre = True
        session.add(centre)
        session.commit()
    return users


LOG_INS = [
    (f"urzednik@{DOMAIN}", "urzędniczka Gminy Wierzbno (official)"),
    (f"admin@{DOMAIN}", "administrator platformy (platform admin)"),
    (f"klub@{DOMAIN}", "LKS „Orzeł” Wierzbno (admin)"),
    (f"kgw@{DOMAIN}", "KGW w Olszance (admin)"),
    (f"osp@{DOMAIN}", "OSP w Wierzbnie (admin)"),
    (f"seniorzy@{DOMAIN}", "Stowarzyszenie Seniorów „Złota Jesień” (admin)"),
    (f"fundacja@{DOMAIN}", "Fundacja Kultury „Most” (admin)"),
    (f"mieszkanka@{DOMAIN}", "mieszkanka bez organizacji (resident)"),
    (f"doradca@{DOMAIN}", "doradczyni centrum wspierania organizacji (support centre advisor)"),
]


COUNCIL_NAME = "Rada Działalności Pożytku Publicznego Gminy Wierzbno"


def _demo_council(session: Session, users: dict[str, User], gmina: Organisation) -> None:
    """Wierzbno's public benefit council, with the sports club's president sitting on it."""
    from consult.opinions.actions import CouncilInput, set_council

    council = session.exec(select(Organisation).where(Organisation.name == COUNCIL_NAME)).first()
    if council is None:
        profile = orgs.OrganisationInput(
            name=COUNCIL_NAME,
            kind="other",
            area_served="Gmina Wierzbno",
            description="Organ opiniodawczo-doradczy Wójta: opiniuje projekty programu współpracy i uchwał.",
        )
        council = orgs.create_organisation(session, _principal(session, users[f"klub@{DOMAIN}"]), profile)
    if gmina.benefit_council_id is None:
        official = _principal(session, users[f"urzednik@{DOMAIN}"])
        set_council(session, official, gmina, CouncilInput(council_id=council.id))


DEMO_COMMENTS = [
    # author, paragraph label (None: the whole document), body, proposed wording, reply to (index) or None
    (
        f"seniorzy@{DOMAIN}",
        "§ 6 ust. 1 pkt 3",
        "Prosimy o doprecyzowanie, że chodzi także o seniorów samotnie mieszkających na wsi.",
        "działalności na rzecz osób w wieku emerytalnym, w szczególności samotnie mieszkających;",
        None,
    ),
    (
        f"klub@{DOMAIN}",
        "§ 9 ust. 1",
        "Kwota jest niższa niż w roku 2026 przy rosnących kosztach. Proponujemy 520 000 zł.",
        "Na realizację programu w roku 2027 planuje się przeznaczyć kwotę 520 000 zł.",
        None,
    ),
    (
        f"fundacja@{DOMAIN}",
        "§ 9 ust. 1",
        "Popieramy propozycję klubu: koszty wynajmu sal wzrosły o jedną trzecią.",
        "",
        1,
    ),
    (
        f"kgw@{DOMAIN}",
        None,
        "Dziękujemy za projekt. Prosimy o spotkanie konsultacyjne w Olszance, nie tylko w urzędzie.",
        "",
        None,
    ),
]


def _demo_consultation(session: Session, users: dict[str, User], gmina: Organisation) -> None:
    """This year's programme, open for comments, with a few threaded comments."""
    from datetime import timedelta
    from pathlib import Path

    from consult.comments.actions import CommentInput, submit_comment
    from consult.consultations import actions as consultations
    from consult.models import Consultation

    if session.exec(select(Consultation).where(Consultation.slug == "program-wspolpracy-2027")).first():
        return
    official = users[f"urzednik@{DOMAIN}"]
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    data = consultations.ConsultationInput(
        organisation_id=gmina.id,
        slug="program-wspolpracy-2027",
        title="Program współpracy Gminy Wierzbno z organizacjami pozarządowymi na rok 2027",
        summary="Gmina co roku uchwala program współpracy z organizacjami: jakie zadania zleci, w jakich formach "
        "i za ile. Prosimy o uwagi do projektu na rok 2027, zwłaszcza do priorytetów (§ 6) i kwoty (§ 9).",
        responsible_unit="Referat Promocji i Współpracy z Organizacjami Pozarządowymi",
        contact_person="Katarzyna Nowak, ngo@wierzbno.example, tel. 48 123 45 67",
        participation="verified_organisations",
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=18),
        document=(Path(__file__).parent / "demo_data" / "program-wspolpracy-2027.md").read_text(encoding="utf-8"),
    )
    with clock_at(now - timedelta(days=4)):  # published the day before it opened
        consultation = consultations.create_consultation(session, _principal(session, official), data)
        consultations.publish_consultation(session, _principal(session, official), consultation)
    version = consultations.current_version(session, consultation)
    paragraphs = {p.label: p for _s, ps in consultations.document_of(session, version).sections for p in ps}
    municipality = session.get(Organisation, consultation.organisation_id)
    gate = consultations.gate_for(consultation, municipality)
    posted = []
    for email, label, body, proposed, reply_to in DEMO_COMMENTS:
        author = _principal(session, users[email])
        organisation_id = next(iter(author.roles))
        paragraph = paragraphs[label] if label else None
        thread = consultations.get_or_create_thread(session, consultation, paragraph.key if paragraph else None)
        data = CommentInput(
            body=body,
            organisation_id=organisation_id,
            proposed_wording=proposed,
            current_wording=paragraph.text if paragraph and proposed else "",
        )
        parent = posted[reply_to] if reply_to is not None else None
        posted.append(submit_comment(session, author, thread.id, gate, data, parent))


DEMO_PROPOSALS = [
    # author's e-mail and organisation, title, body, paragraph label (None: the whole document), category, votes
    (
        f"seniorzy@{DOMAIN}",
        "Stowarzyszenie Seniorów „Złota Jesień”",
        "Zajęcia ruchowe dla seniorów w każdym sołectwie",
        "Proponujemy, by w konkursie na zadania z **§ 6 ust. 1 pkt 3** premiować oferty zajęć ruchowych "
        "prowadzonych w świetlicach wiejskich, nie tylko w Wierzbnie.",
        "§ 6 ust. 1 pkt 3",
        "działalność na rzecz osób w wieku emerytalnym",
        [
            (f"klub@{DOMAIN}", "Ludowy Klub Sportowy „Orzeł” Wierzbno", "for"),
            (f"kgw@{DOMAIN}", "Koło Gospodyń Wiejskich w Olszance", "for"),
            (f"osp@{DOMAIN}", "Ochotnicza Straż Pożarna w Wierzbnie", "abstain"),
        ],
    ),
    (
        f"fundacja@{DOMAIN}",
        "Fundacja Kultury „Most”",
        "Mikrogranty na inicjatywy młodzieżowe",
        "Proponujemy dopisać do programu mikrogranty do 5 000 zł w trybie art. 19a ustawy dla grup młodzieży, "
        "z prostym wnioskiem i rozliczeniem.",
        None,
        "wypoczynek dzieci i młodzieży",
        [
            (f"klub@{DOMAIN}", "Ludowy Klub Sportowy „Orzeł” Wierzbno", "for"),
            (f"seniorzy@{DOMAIN}", "Stowarzyszenie Seniorów „Złota Jesień”", "against"),
        ],
    ),
]


def _demo_proposals(session: Session, users: dict[str, User]) -> None:
    """Two proposals with a few votes in this year's programme, while it is open."""
    from consult.consultations.actions import status_of
    from consult.models import Consultation, Proposal
    from consult.proposals.actions import ProposalInput, paragraph_options, submit_proposal
    from consult.proposals.votes import cast_vote

    consultation = session.exec(select(Consultation).where(Consultation.slug == "program-wspolpracy-2027")).first()
    if consultation is None or status_of(consultation) != "open":
        return
    if session.exec(select(Proposal.id).where(Proposal.consultation_id == consultation.id)).first() is not None:
        return
    keys = {label: key for key, label in paragraph_options(session, consultation)}

    def organisation_id(name: str) -> int:
        return session.exec(select(Organisation.id).where(Organisation.name == name)).one()

    for email, organisation, title, body, label, category, votes in DEMO_PROPOSALS:
        data = ProposalInput(
            title=title,
            body=body,
            organisation_id=organisation_id(organisation),
            paragraph_key=keys[label] if label else "",
            category=category,
        )
        proposal = submit_proposal(session, _principal(session, users[email]), consultation, data)
        for voter, voter_organisation, choice in votes:
            cast_vote(session, _principal(session, users[voter]), proposal, organisation_id(voter_organisation), choice)


def _demo_cosign_and_entry(session: Session, users: dict[str, User]) -> None:
    """The seniors co-sign the club's comment on § 9 ust. 1; the office enters the fire brigade's e-mailed comment."""
    from datetime import timedelta

    from consult.consultations.actions import status_of
    from consult.cosign.actions import CosignInput, cosign_contribution, load_contribution
    from consult.entries.actions import EntryInput, enter_comment, local_today, paragraphs_of
    from consult.models import Comment, Consultation, CoSignature, Thread

    consultation = session.exec(select(Consultation).where(Consultation.slug == "program-wspolpracy-2027")).first()
    if consultation is None or status_of(consultation) != "open":
        return
    club, seniors, osp = (
        session.exec(select(Organisation).where(Organisation.krs == krs)).one()
        for krs in ("0000123456", "0000345678", "0000234567")
    )
    in_consultation = (Comment.thread_id == Thread.id) & (Thread.consultation_id == consultation.id)
    club_comment = session.exec(
        select(Comment).join(Thread, in_consultation).where(Comment.organisation_id == club.id, Comment.depth == 0)
    ).first()
    signed = select(CoSignature.id).where(CoSignature.organisation_id == seniors.id)
    if club_comment is not None and session.exec(signed).first() is None:
        contribution = load_contribution(session, "comment", club_comment.id)
        seniors_admin = _principal(session, users[f"seniorzy@{DOMAIN}"])
        cosign_contribution(session, seniors_admin, contribution, CosignInput(organisation_id=seniors.id))
    if session.exec(select(Comment.id).join(Thread, in_consultation).where(Comment.channel == "email")).first():
        return
    keys = {p.label: p.key for p in paragraphs_of(session, consultation)}
    entry = EntryInput(
        organisation_id=osp.id,
        channel="email",
        received_at=local_today() - timedelta(days=1),
        paragraph=keys["§ 3 ust. 2"],
        body="Przesyłamy uwagę e-mailem, bo nasz prezes nie korzysta z platformy. 30 dni to za mało, "
        "by ochotnicza jednostka przygotowała ofertę: prosimy o 45 dni.",
        proposed_wording="Gmina udostępnia organizacjom informacje o planowanych konkursach ofert nie później "
        "niż 45 dni przed ich ogłoszeniem.",
        justification="Zarząd OSP zbiera się raz w miesiącu.",
    )
    enter_comment(session, _principal(session, users[f"urzednik@{DOMAIN}"]), consultation, entry)
