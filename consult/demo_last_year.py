"""Demo data: last year's programme, a closed consultation with answers, a revised text and a published record.

Everything goes through the real actions (so the ledger and the record are genuine); the consultation is run now
and then moved back to last October, so its dates read as last year's while the ledger keeps the real times.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from consult.answers.actions import AnswerInput, answer_contribution
from consult.comments.actions import CommentInput, submit_comment
from consult.consultations import actions as consultations
from consult.consultations.versions import VersionInput, publish_version, serialise_view
from consult.entries.actions import EntryInput, enter_comment
from consult.models import Comment, Consultation, Membership, Organisation, Proposal, User, utcnow
from consult.permissions import Principal
from consult.proposals.actions import ProposalInput, submit_proposal
from consult.proposals.votes import cast_vote
from consult.records.actions import RecordInput, publish_record

SLUG = "program-wspolpracy-2026"
OPENS = datetime(2025, 10, 6, 7, 0, tzinfo=UTC)  # 9:00 in Warsaw
CLOSES = datetime(2025, 10, 27, 14, 0, tzinfo=UTC)  # 15:00 in Warsaw


def _document() -> str:
    text = (Path(__file__).parent / "demo_data" / "program-wspolpracy-2027.md").read_text(encoding="utf-8")
    return text.replace("2027", "2026").replace("480 000 zł", "450 000 zł")


def load_last_year(session: Session, users: dict[str, User], gmina: Organisation, principal_of, domain: str) -> None:
    if session.exec(select(Consultation).where(Consultation.slug == SLUG)).first():
        return
    official: Principal = principal_of(users[f"urzednik@{domain}"])
    now = utcnow().replace(microsecond=0)
    data = consultations.ConsultationInput(
        organisation_id=gmina.id,
        slug=SLUG,
        title="Program współpracy Gminy Wierzbno z organizacjami pozarządowymi na rok 2026",
        summary="Konsultacje projektu programu współpracy na rok 2026. Konsultacje są zakończone, a gmina "
        "opublikowała protokół: każda uwaga i propozycja ze stanowiskiem oraz zmiany w tekście.",
        responsible_unit="Referat Promocji i Współpracy z Organizacjami Pozarządowymi",
        contact_person="Katarzyna Nowak, ngo@wierzbno.example, tel. 48 123 45 67",
        participation="verified_organisations",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=21),
        document=_document(),
    )
    consultation = consultations.create_consultation(session, official, data)
    consultations.publish_consultation(session, official, consultation)
    version = consultations.current_version(session, consultation)
    paragraphs = {p.label: p for _s, ps in consultations.document_of(session, version).sections for p in ps}
    gate = consultations.gate_for(consultation, gmina)

    def comment(email: str, label: str | None, body: str, proposed: str = "") -> Comment:
        author = principal_of(users[email])
        paragraph = paragraphs[label] if label else None
        thread = consultations.get_or_create_thread(session, consultation, paragraph.key if paragraph else None)
        text = CommentInput(
            body=body,
            organisation_id=next(iter(author.roles)),
            current_wording=paragraph.text if paragraph and proposed else "",
            proposed_wording=proposed,
        )
        return submit_comment(session, author, thread.id, gate, text)

    amount = comment(
        f"klub@{domain}",
        "§ 9 ust. 1",
        "Kwota nie pokrywa rosnących kosztów wynajmu obiektów. Proponujemy 500 000 zł.",
        "Na realizację programu w roku 2026 planuje się przeznaczyć kwotę 500 000 zł.",
    )
    seniors = comment(
        f"seniorzy@{domain}",
        "§ 6 ust. 1 pkt 3",
        "Prosimy dopisać działania przeciw samotności seniorów na wsi.",
        "działalności na rzecz osób w wieku emerytalnym, w tym przeciwdziałania ich samotności;",
    )
    general = comment(f"kgw@{domain}", None, "Prosimy o publikowanie ogłoszeń konkursowych także w sołectwach.")
    emailed = enter_comment(
        session,
        official,
        consultation,
        EntryInput(
            organisation_id=first_organisation(session, users[f"osp@{domain}"]).id,
            channel="email",
            received_at=date.today(),
            body="Wnosimy o uwzględnienie zakupu sprzętu ratowniczego w zadaniach priorytetowych.",
        ),
    )
    klub = principal_of(users[f"klub@{domain}"])
    proposal = submit_proposal(
        session,
        klub,
        consultation,
        ProposalInput(
            title="Mały grant na obozy sportowe dla dzieci",
            body="Proponujemy tryb małych grantów (art. 19a ustawy) na letnie obozy sportowe.",
            organisation_id=next(iter(klub.roles)),
            category="Wspieranie i upowszechnianie kultury fizycznej",
        ),
    )
    for email, choice in ((f"klub@{domain}", "for"), (f"osp@{domain}", "for"), (f"kgw@{domain}", "abstain")):
        voter = principal_of(users[email])
        cast_vote(session, voter, proposal, next(iter(voter.roles)), choice)

    # The consultation as it ran last October: dates moved back, then closed.
    consultation.published_at = OPENS - timedelta(days=5)
    consultation.opens_at, consultation.closes_at = OPENS, CLOSES
    for n, item in enumerate((amount, seniors, general, emailed, proposal), start=1):
        item.created_at = OPENS + timedelta(days=2 * n, hours=3)
        session.add(item)
    emailed.received_at = OPENS + timedelta(days=14)
    session.add(consultation)
    session.commit()

    def answer(kind: str, item: Comment | Proposal, position: str, why: str = "") -> None:
        answer_contribution(
            session, official, consultation, (kind, item.id), AnswerInput(position=position, justification=why)
        )

    answer("comment", amount, "partly_accepted", "Kwotę zwiększono do 480 000 zł w granicach możliwości budżetu.")
    answer("comment", seniors, "accepted")
    answer("comment", general, "explained", "Ogłoszenia są wywieszane na tablicach sołeckich od 2024 roku.")
    answer("comment", emailed, "rejected", "Zakup sprzętu OSP finansuje się z odrębnego programu gminy.")
    answer("proposal", proposal, "accepted")

    revised = serialise_view(consultations.document_of(session, version))
    revised = revised.replace("450 000 zł", "480 000 zł").replace(
        paragraphs["§ 6 ust. 1 pkt 3"].text,
        "działalności na rzecz osób w wieku emerytalnym, w tym przeciwdziałania ich samotności;",
    )
    publish_version(
        session,
        official,
        consultation,
        VersionInput(
            note="§ 9 ust. 1: kwota 480 000 zł; § 6 ust. 1 pkt 3: przeciwdziałanie samotności seniorów.",
            document=revised,
        ),
    )
    publish_record(
        session,
        official,
        consultation,
        RecordInput(conclusion="Projekt trafia do Rady Gminy ze zmianami w § 6 i § 9, wynikającymi z konsultacji."),
    )


def first_organisation(session: Session, user: User) -> Organisation:
    """The first organisation the demo user belongs to."""
    return session.exec(
        select(Organisation)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id)
    ).first()
