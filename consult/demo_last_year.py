"""Demo data: last year's programme, a closed consultation with answers, a revised text and a published record.

Everything goes through the real actions (so the ledger and the record are genuine), each on its own date of last
autumn (`clock_at`): published a few days before it opened, comments and votes while it was open, an e-mailed comment
entered the day after it was received, answers after the close and the record published eleven days after it. The
ledger's times are those dates too, in order: load_demo runs this before anything of this year.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from consult.answers.actions import AnswerInput, answer_contribution
from consult.comments.actions import CommentInput, submit_comment
from consult.consultations import actions as consultations
from consult.consultations.versions import VersionInput, publish_version, serialise_view
from consult.entries.actions import EntryInput, enter_comment
from consult.models import Comment, Consultation, Membership, Organisation, Proposal, User, clock_at
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


def on(days: float, hours: float = 0) -> datetime:
    """A moment of last autumn's consultation, counted from its opening."""
    return OPENS + timedelta(days=days, hours=hours)


def load_last_year(session: Session, users: dict[str, User], gmina: Organisation, principal_of, domain: str) -> None:
    if session.exec(select(Consultation).where(Consultation.slug == SLUG)).first():
        return
    official: Principal = principal_of(users[f"urzednik@{domain}"])
    data = consultations.ConsultationInput(
        organisation_id=gmina.id,
        slug=SLUG,
        title="Program współpracy Gminy Wierzbno z organizacjami pozarządowymi na rok 2026",
        summary="Konsultacje projektu programu współpracy na rok 2026. Konsultacje są zakończone, a gmina "
        "opublikowała protokół: każda uwaga i propozycja ze stanowiskiem oraz zmiany w tekście.",
        responsible_unit="Referat Promocji i Współpracy z Organizacjami Pozarządowymi",
        contact_person="Katarzyna Nowak, ngo@wierzbno.example, tel. 48 123 45 67",
        participation="verified_organisations",
        opens_at=OPENS,
        closes_at=CLOSES,
        document=_document(),
    )
    with clock_at(on(-5)):  # drafted and published the week before it opened
        consultation = consultations.create_consultation(session, official, data)
        consultations.publish_consultation(session, official, consultation)
    version = consultations.current_version(session, consultation)
    paragraphs = {p.label: p for _s, ps in consultations.document_of(session, version).sections for p in ps}

    def comment(when: datetime, email: str, label: str | None, body: str, proposed: str = "") -> Comment:
        author = principal_of(users[email])
        paragraph = paragraphs[label] if label else None
        text = CommentInput(
            body=body,
            organisation_id=next(iter(author.roles)),
            current_wording=paragraph.text if paragraph and proposed else "",
            proposed_wording=proposed,
        )
        with clock_at(when):  # the gate reads the clock: open on that day
            thread = consultations.get_or_create_thread(session, consultation, paragraph.key if paragraph else None)
            gate = consultations.gate_for(consultation, gmina)
            return submit_comment(session, author, thread.id, gate, text)

    amount = comment(
        on(2, 3),
        f"klub@{domain}",
        "§ 9 ust. 1",
        "Kwota nie pokrywa rosnących kosztów wynajmu obiektów. Proponujemy 500 000 zł.",
        "Na realizację programu w roku 2026 planuje się przeznaczyć kwotę 500 000 zł.",
    )
    seniors = comment(
        on(4, 3),
        f"seniorzy@{domain}",
        "§ 6 ust. 1 pkt 3",
        "Prosimy dopisać działania przeciw samotności seniorów na wsi.",
        "działalności na rzecz osób w wieku emerytalnym, w tym przeciwdziałania ich samotności;",
    )
    general = comment(
        on(6, 3), f"kgw@{domain}", None, "Prosimy o publikowanie ogłoszeń konkursowych także w sołectwach."
    )
    social = comment(  # accepted: a commitment still planned a year on (consult/commitments/demo.py)
        on(7, 3),
        f"fundacja@{domain}",
        "§ 8 ust. 2",
        "Prosimy publikować informacje o konkursach także w mediach społecznościowych gminy.",
        "Informacje o konkursach publikuje się w Biuletynie Informacji Publicznej, na stronie internetowej Gminy, "
        "w jej mediach społecznościowych oraz na tablicy ogłoszeń urzędu.",
    )
    klub = principal_of(users[f"klub@{domain}"])
    with clock_at(on(8, 3)):
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
    for day, (email, choice) in enumerate(
        ((f"klub@{domain}", "for"), (f"osp@{domain}", "for"), (f"kgw@{domain}", "abstain")), start=9
    ):
        voter = principal_of(users[email])
        with clock_at(on(day, 5)):
            cast_vote(session, voter, proposal, next(iter(voter.roles)), choice)
    with clock_at(on(15, 2)):  # the fire brigade's e-mail of the day before, entered by the office
        emailed = enter_comment(
            session,
            official,
            consultation,
            EntryInput(
                organisation_id=first_organisation(session, users[f"osp@{domain}"]).id,
                channel="email",
                received_at=on(14).date(),
                body="Wnosimy o uwzględnienie zakupu sprzętu ratowniczego w zadaniach priorytetowych.",
            ),
        )

    def answer(when: datetime, kind: str, item: Comment | Proposal, position: str, why: str = "") -> None:
        with clock_at(when):
            answer_contribution(
                session, official, consultation, (kind, item.id), AnswerInput(position=position, justification=why)
            )

    after_close = CLOSES + timedelta(days=3)  # Thursday 30 October
    answer(
        after_close,
        "comment",
        amount,
        "partly_accepted",
        "Kwotę zwiększono do 480 000 zł w granicach możliwości budżetu.",
    )
    answer(after_close + timedelta(hours=1), "comment", seniors, "accepted")
    answer(
        after_close + timedelta(hours=2),
        "comment",
        general,
        "explained",
        "Ogłoszenia są wywieszane na tablicach sołeckich od 2024 roku.",
    )
    answer(
        after_close + timedelta(days=1),
        "comment",
        emailed,
        "rejected",
        "Zakup sprzętu OSP finansuje się z odrębnego programu gminy.",
    )
    answer(after_close + timedelta(days=1, hours=1), "proposal", proposal, "accepted")
    answer(after_close + timedelta(days=1, hours=2), "comment", social, "accepted")

    revised = serialise_view(consultations.document_of(session, version))
    revised = revised.replace("450 000 zł", "480 000 zł").replace(
        paragraphs["§ 6 ust. 1 pkt 3"].text,
        "działalności na rzecz osób w wieku emerytalnym, w tym przeciwdziałania ich samotności;",
    )
    with clock_at(CLOSES + timedelta(days=7)):
        publish_version(
            session,
            official,
            consultation,
            VersionInput(
                note="§ 9 ust. 1: kwota 480 000 zł; § 6 ust. 1 pkt 3: przeciwdziałanie samotności seniorów.",
                document=revised,
            ),
        )
    with clock_at(CLOSES + timedelta(days=11)):  # Friday 7 November 2025: within two weeks of the close
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
