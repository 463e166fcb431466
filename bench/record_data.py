"""The data of bench/record.py: closed consultations of the fixture programme, every contribution answered.

One consultation per size in one database, plus a small one the measurements warm up on; people and proposals
through the app's actions, comments, votes, co-signatures and answers inserted in bulk, the record published through
`publish_record`.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMME = ROOT / "tests" / "fixtures" / "program-wspolpracy-2027.md"
NGOS = 36
PROPOSALS = 24  # fixed at every size: the record's head holds them, the contributions stream
WARMUP_SIZE = 40
PASSWORD = "bench-password-2027"
ORG_WORDS = (
    "Przyjaciół Wierzbna",
    "Seniorów Aktywnych",
    "Rozwoju Wsi",
    "Sportowe Orzeł",
    "Kultury Ludowej",
    "Pomocy Rodzinie",
    "Ekologiczne Zielony Brzeg",
    "Młodzieży Twórczej",
    "Osób z Niepełnosprawnością",
    "Historyczne Ziemi Wierzbińskiej",
    "Turystyczne Szlak",
    "Muzyczne Kamerton",
)
WORDS_TEXT = (
    "gmina organizacje współpraca program zadania publiczne konkurs ofert dotacja sprawozdanie rada działalność "
    "pożytku wolontariat mieszkańcy seniorzy młodzież sport kultura edukacja zdrowie ekologia partnerstwo jawność "
    "efektywność pomocniczość harmonogram budżet środki realizacja ocena monitoring wskaźniki zespół komisja"
)
WORDS = WORDS_TEXT.split()
POSITION_TEXT = {
    "accepted": "",
    "partly_accepted": "Uwzględniono w części dotyczącej terminów; pozostała część wykracza poza zakres programu.",
    "rejected": "Propozycja jest sprzeczna z art. 5 ust. 4 ustawy o działalności pożytku publicznego.",
    "explained": "Kwestię tę reguluje uchwała w sprawie trybu konsultacji; program jej nie zmienia.",
}


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


# --- the data --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    admin: object
    official: object
    municipality: object
    speakers: list  # (user, organisation)


def make_people(session) -> People:
    """An admin, an official of Gmina Wierzbno and 36 verified organisations (most with a KRS number)."""
    from consult.accounts.actions import RegisterInput, register_user
    from consult.models import Membership, utcnow
    from consult.organisations.actions import OrganisationInput, create_organisation, verify_organisation

    def user(email: str, name: str, is_admin: bool = False):
        data = RegisterInput(email=email, display_name=name, password=PASSWORD, password_confirm=PASSWORD)
        made = register_user(session, data, is_admin=is_admin)
        made.confirmed_at = utcnow()
        session.add(made)
        session.commit()
        return made

    admin = user("admin@bench.example", "Administrator", is_admin=True)
    official = user("urzednik@bench.example", "Katarzyna Nowak")
    municipality = create_organisation(
        session, principal(session, admin), OrganisationInput(name="Gmina Wierzbno", kind="municipality")
    )
    session.add(Membership(organisation_id=municipality.id, user_id=official.id, role="official"))
    session.commit()
    verify_organisation(session, principal(session, admin), municipality)
    speakers = []
    for i in range(NGOS):
        member = user(f"ngo{i}@bench.example", f"Osoba Reprezentująca {i}")
        informal = i % 9 == 8  # an informal group has no KRS number
        data = OrganisationInput(
            name=f"{'Grupa' if informal else 'Stowarzyszenie'} {ORG_WORDS[i % len(ORG_WORDS)]} {i + 1}",
            kind="informal" if informal else "ngo",
            krs=None if informal else f"{300_000 + 137 * i:010d}",
        )
        organisation = create_organisation(session, principal(session, member), data)
        verify_organisation(session, principal(session, admin), organisation)
        speakers.append((member, organisation))
    return People(admin, official, municipality, speakers)


def principal(session, user):
    from sqlmodel import select

    from consult.models import Membership
    from consult.permissions import Principal

    rows = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(rows.all()))


def build_consultation(session, people: People, size: int, slug: str, rng: random.Random) -> str:
    """A closed consultation with `size` contributions (root comments and 24 proposals), all answered, published."""
    from consult.consultations.actions import ConsultationInput, create_consultation, publish_consultation
    from consult.models import utcnow
    from consult.proposals.actions import ProposalInput, submit_proposal
    from consult.records.actions import RecordInput, publish_record

    official = principal(session, people.official)
    now = utcnow()
    data = ConsultationInput(
        organisation_id=people.municipality.id,
        title=f"Program współpracy na rok 2027 ({size} uwag)",
        slug=slug,
        summary="Projekt programu współpracy z organizacjami pozarządowymi na rok 2027 (dane do pomiaru protokołu).",
        responsible_unit="Referat Promocji i Współpracy",
        contact_person="Katarzyna Nowak",
        opens_at=now - timedelta(days=21),
        closes_at=now + timedelta(hours=1),
        document=PROGRAMME.read_text(encoding="utf-8"),
    )
    consultation = create_consultation(session, official, data)
    publish_consultation(session, official, consultation)
    paragraphs = _paragraphs(session, consultation)
    proposals = min(PROPOSALS, size // 2)
    for i in range(proposals):  # through the real action: while the consultation is open
        member, organisation = people.speakers[i % len(people.speakers)]
        proposal = ProposalInput(
            title=f"Propozycja {i + 1}: {sentence(rng, 3, 6).rstrip('.')}",
            body=sentence(rng, 20, 40),
            organisation_id=organisation.id,
            paragraph_key=paragraphs[i % len(paragraphs)].key if i % 3 == 0 else "",
            category="Zadanie priorytetowe" if i % 2 else "",
        )
        submit_proposal(session, principal(session, member), consultation, proposal)
    _insert_comments(session, consultation, people, paragraphs, size - proposals, rng, now)
    _insert_votes_and_signatures(session, consultation, people, rng)
    consultation.closes_at = utcnow() - timedelta(minutes=1)
    session.add(consultation)
    session.commit()
    _insert_answers(session, consultation, people, rng)
    started = time.perf_counter()
    record = publish_record(session, official, consultation, RecordInput(conclusion=sentence(rng, 20, 40)))
    print(f"# size={size} published in {time.perf_counter() - started:.2f} s, sha256={record.sha256}", flush=True)
    return consultation.slug


def _paragraphs(session, consultation) -> list:
    from consult.consultations.actions import current_version, document_of

    view = document_of(session, current_version(session, consultation))
    return [p for _section, found in view.sections for p in found]


def _insert_comments(session, consultation, people: People, paragraphs, roots: int, rng, now) -> None:
    """Root comments (15 % general, the rest on paragraphs, 60 % with the form's three fields) and replies."""
    from consult.consultations.actions import get_or_create_thread
    from consult.markdown import render_markdown
    from consult.models import Comment

    general = get_or_create_thread(session, consultation, None)
    threads = [get_or_create_thread(session, consultation, p.key) for p in paragraphs]
    start, step = now - timedelta(days=21), timedelta(days=20) / max(roots, 1)
    replies = [rng.choice((0, 0, 0, 1, 2)) for _ in range(roots)]
    made = []
    for i in range(roots):
        member, organisation = people.speakers[rng.randrange(len(people.speakers))]
        on = None if rng.random() < 0.15 else rng.randrange(len(paragraphs))
        body = f"{sentence(rng, 12, 30)} {sentence(rng, 6, 20)}"
        comment = Comment(
            thread_id=general.id if on is None else threads[on].id,
            author_id=member.id,
            organisation_id=organisation.id,
            body=body,
            body_html=render_markdown(body),
            reply_count=replies[i],
            created_at=start + step * i,
        )
        if on is not None and rng.random() < 0.6:
            comment.current_wording = paragraphs[on].text
            comment.proposed_wording = paragraphs[on].text.replace(".", " oraz " + sentence(rng, 4, 10), 1)
            comment.justification = sentence(rng, 10, 25)
        if i % 50 == 7:  # entered by an official: it came by e-mail or on paper
            comment.channel, comment.received_at = ("email", "paper")[i % 2], comment.created_at
        if i % 97 == 13:
            comment.status, comment.moderation_reason = "hidden", "Treść narusza regulamin (dane osobowe)."
            comment.moderated_at, comment.moderated_by_id = comment.created_at, people.official.id
        elif i % 89 == 29:
            comment.status = "withdrawn"
        made.append(comment)
    session.add_all(made)
    session.flush()
    for comment in made:
        comment.root_id = comment.id
    made_replies = []
    for comment, count in zip(made, replies, strict=True):
        for j in range(count):
            member, organisation = people.speakers[rng.randrange(len(people.speakers))]
            body = sentence(rng, 8, 20)
            made_replies.append(
                Comment(
                    thread_id=comment.thread_id,
                    parent_id=comment.id,
                    root_id=comment.id,
                    depth=1,
                    author_id=member.id,
                    organisation_id=organisation.id,
                    body=body,
                    body_html=render_markdown(body),
                    created_at=comment.created_at + timedelta(minutes=5 * (j + 1)),
                )
            )
    session.add_all(made_replies)
    session.commit()
    session.expunge_all()  # the bench's session need not keep 10,000 comments alive


def _insert_votes_and_signatures(session, consultation, people: People, rng) -> None:
    """Each proposal voted on by about two thirds of the organisations; a few co-signatures; one withdrawn."""
    from sqlmodel import col, select

    from consult.models import Comment, Proposal, Thread, Vote

    proposals = session.exec(select(Proposal).where(Proposal.consultation_id == consultation.id)).all()
    rows = []
    for proposal in proposals:
        for member, organisation in people.speakers:
            if organisation.id != proposal.organisation_id and rng.random() < 0.66:
                choice = rng.choice(("for", "for", "for", "against", "abstain"))
                rows.append(
                    Vote(proposal_id=proposal.id, organisation_id=organisation.id, choice=choice, cast_by_id=member.id)
                )
                if rng.random() < 0.05:
                    rows.append(_signature("proposal", proposal.id, member, organisation))
    if proposals:
        proposals[-1].status, proposals[-1].withdrawn_at = "withdrawn", proposals[-1].created_at
        session.add(proposals[-1])
    commented = session.exec(
        select(Comment.id, Comment.organisation_id)
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .where(Thread.consultation_id == consultation.id, col(Comment.parent_id).is_(None))
        .order_by(col(Comment.id))
    ).all()
    for comment_id, organisation_id in commented[::40]:
        member, organisation = people.speakers[(comment_id * 7) % len(people.speakers)]
        if organisation.id != organisation_id:
            rows.append(_signature("comment", comment_id, member, organisation))
    session.add_all(rows)
    session.commit()


def _signature(kind: str, subject_id: int, member, organisation):
    from consult.models import CoSignature

    return CoSignature(
        subject_kind=kind, subject_id=subject_id, organisation_id=organisation.id, signed_by_id=member.id
    )


def _insert_answers(session, consultation, people: People, rng) -> None:
    """An answer for every visible contribution; one in eight answers covers the next two contributions too."""
    from sqlmodel import col, select

    from consult.models import POSITIONS, Answer, AnswerLink, Comment, Proposal, Thread

    comments = session.exec(
        select(Comment.id)
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .where(
            Thread.consultation_id == consultation.id,
            col(Thread.owner_kind).in_(["consultation", "paragraph"]),
            col(Comment.parent_id).is_(None),
            Comment.status == "visible",
        )
        .order_by(col(Comment.id))
    ).all()
    proposals = session.exec(
        select(Proposal.id).where(Proposal.consultation_id == consultation.id, Proposal.status == "visible")
    ).all()
    todo = [("comment", i) for i in comments] + [("proposal", i) for i in proposals]
    groups, i = [], 0
    while i < len(todo):
        width = 3 if len(groups) % 8 == 5 else 1
        groups.append(todo[i : i + width])
        i += width
    answers = []
    for _group in groups:
        position = rng.choice(POSITIONS)
        justification = POSITION_TEXT[position] or (sentence(rng, 6, 12) if rng.random() < 0.3 else "")
        answers.append(
            Answer(
                consultation_id=consultation.id,
                position=position,
                justification=justification,
                answered_by_id=people.official.id,
            )
        )
    session.add_all(answers)
    session.flush()
    session.add_all(
        AnswerLink(answer_id=answer.id, consultation_id=consultation.id, contribution_kind=kind, contribution_id=ref)
        for answer, group in zip(answers, groups, strict=True)
        for kind, ref in group
    )
    session.commit()
    session.expunge_all()


def build(url: str, sizes: list[int], *, fresh_schema: bool) -> dict[int, str]:
    """The database with the people, a small warm-up record and one record per size; the slugs by size (0: warm-up)."""
    from sqlmodel import Session, SQLModel

    from consult import models
    from consult.db import make_engine

    engine = make_engine(url)
    if fresh_schema:
        SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    assert models.Record.__tablename__ == "record"
    rng = random.Random(2027)
    try:
        with Session(engine, expire_on_commit=False) as session:
            people = make_people(session)
            slugs = {0: build_consultation(session, people, WARMUP_SIZE, "rozgrzewka", rng)}
            for size in sizes:
                started = time.perf_counter()
                slugs[size] = build_consultation(session, people, size, f"program-2027-{size}", rng)
                print(f"# size={size} built in {time.perf_counter() - started:.1f} s", flush=True)
        return slugs
    finally:
        engine.dispose()
