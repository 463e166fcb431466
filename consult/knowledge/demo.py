"""The demo's knowledge base: three guides of the support centre in Wierzbno, a good practice with a photo (drawn
here as a real PNG, so the repository carries no binary), and a good practice the rural women's circle proposed,
awaiting review. Idempotent: items are found by title."""

from __future__ import annotations

import struct
import zlib

from sqlmodel import Session, select

from consult.knowledge.actions import KnowledgeInput, Upload, propose_item, publish_item, standing_of
from consult.knowledge.files import check_file
from consult.models import KnowledgeItem, Membership, Organisation, User
from consult.permissions import Principal

ADVISOR, PROPOSER = "doradca", "kgw"
CENTRE = "Centrum Wspierania Organizacji Pozarządowych w Wierzbnie"
CIRCLE = "Koło Gospodyń Wiejskich w Olszance"

GUIDES = [
    {
        "title": "Jak napisać ofertę w otwartym konkursie",
        "kind": "guide",
        "summary": "Krok po kroku przez formularz oferty realizacji zadania publicznego: opis zadania, rezultaty, "
        "kosztorys i najczęstsze błędy formalne.",
        "body": "### Zanim zaczniesz\n\nPrzeczytaj ogłoszenie konkursu do końca: sprawdź **termin składania ofert**, "
        "wysokość dotacji, wymagany wkład własny i kryteria oceny.\n\n### Opis zadania\n\n"
        "- napisz, komu zadanie służy i jaką potrzebę zaspokaja;\n- podaj miejsce i harmonogram działań;\n"
        "- opisz rezultaty tak, aby dało się je policzyć (liczba uczestników, warsztatów, publikacji).\n\n"
        "### Kosztorys\n\nKażdy koszt powiąż z działaniem z harmonogramu. Wkład osobowy (praca wolontariuszy) "
        "wyceń według stawek podanych w ogłoszeniu.\n\n### Najczęstsze błędy\n\n1. Brak podpisu osób "
        "uprawnionych według KRS.\n2. Rezultaty niezgodne z opisem działań.\n3. Koszty poza terminem realizacji.",
        "fields": ["ngo_development"],
        "topics": ["konkurs", "oferta", "dotacje"],
    },
    {
        "title": "Sprawozdanie z realizacji zadania publicznego krok po kroku",
        "kind": "guide",
        "summary": "Co wpisać w sprawozdaniu końcowym, jak rozliczyć dotację i jakie dokumenty przechowywać.",
        "body": "### Termin\n\nSprawozdanie końcowe składa się w terminie 30 dni od dnia zakończenia realizacji "
        "zadania, chyba że umowa mówi inaczej.\n\n### Część merytoryczna\n\nPorównaj osiągnięte rezultaty "
        "z zaplanowanymi w ofercie. Jeśli któregoś nie osiągnięto, wyjaśnij dlaczego.\n\n### Część finansowa\n\n"
        "- zestawienie wydatków według pozycji kosztorysu;\n- przesunięcia między pozycjami w granicach "
        "określonych w umowie;\n- zwrot niewykorzystanej części dotacji.\n\nFaktury i listy obecności "
        "przechowuj przez 5 lat.",
        "fields": ["ngo_development"],
        "topics": ["sprawozdanie", "dotacje"],
    },
    {
        "title": "Wolontariat w stowarzyszeniu: porozumienie i ubezpieczenie",
        "kind": "guide",
        "summary": "Kiedy zawrzeć z wolontariuszem porozumienie na piśmie, jak go ubezpieczyć i co mu przysługuje.",
        "body": "### Porozumienie\n\nPorozumienie z wolontariuszem zawiera się na piśmie, gdy świadczenie trwa "
        "dłużej niż 30 dni; na krótszy czas wolontariusz może o nie poprosić.\n\n### Ubezpieczenie\n\n"
        "Wolontariusza pracującego do 30 dni trzeba ubezpieczyć od następstw nieszczęśliwych wypadków. "
        "Przy dłuższym wolontariacie przysługują mu świadczenia z ustawy o ubezpieczeniu wypadkowym.\n\n"
        "### Co jeszcze\n\n- bezpieczne i higieniczne warunki;\n- zwrot kosztów podróży służbowych;\n"
        "- zaświadczenie lub opinia o wykonanej pracy, na prośbę wolontariusza.",
        "fields": ["ngo_development", "social_services"],
        "topics": ["wolontariat", "ubezpieczenie"],
    },
]
PRACTICE = {
    "title": "Sąsiedzki ogród przy szkole w Wierzbnie",
    "kind": "good_practice",
    "summary": "Rodzice, seniorzy i uczniowie razem założyli ogród warzywny przy szkole, z małej dotacji gminy.",
    "body": "Wiosną 2026 roku stowarzyszenie rodziców, koło seniorów i szkoła podstawowa w Wierzbnie założyły "
    "**ogród sąsiedzki** na nieużywanym skrawku boiska.\n\n### Co zadziałało\n\n- mała dotacja w trybie "
    "pozakonkursowym (art. 19a) na nasiona, narzędzia i skrzynie;\n- dyżury w wakacje rozpisane między rodziny;\n"
    "- seniorzy prowadzili warsztaty z sadzenia i kompostowania.\n\n### Czego się nauczyliśmy\n\n"
    "Ustalcie na piśmie ze szkołą, kto odpowiada za klucze i wodę w wakacje.",
    "fields": ["environment", "education", "seniors"],
    "topics": ["ogród", "międzypokoleniowo", "mała dotacja"],
}
PHOTO_ALT = "Uczniowie i seniorzy sadzą warzywa w drewnianych skrzyniach przy szkole; w tle zielone drzewa."
PROPOSED = {
    "title": "Warsztaty rękodzieła dla trzech pokoleń w Olszance",
    "kind": "good_practice",
    "summary": "Cykl sobotnich warsztatów, na których babcie uczą wnuczki i wnuków haftu i wycinanki.",
    "body": "Przez całą zimę w świetlicy w Olszance odbywały się sobotnie warsztaty rękodzieła. Przychodziło "
    "średnio 25 osób w trzech pokoleniach.\n\nKoszty pokryliśmy ze składek członkowskich i zbiórki na festynie.",
    "fields": ["culture", "seniors"],
    "topics": ["rękodzieło", "międzypokoleniowo"],
}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def garden_png(width: int = 480, height: int = 300) -> bytes:
    """A small real PNG: a sky, the sun, a green garden with three raised beds."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            if (x - 400) ** 2 + (y - 60) ** 2 < 900:
                pixel = (250, 204, 21)
            elif y < 170:
                pixel = (120 + y // 3, 180 + y // 5, 235)
            elif 200 <= y < 240 and any(60 + 140 * i <= x < 160 + 140 * i for i in range(3)):
                pixel = (120, 72, 30)
            elif 185 <= y < 200 and any(70 + 140 * i <= x < 150 + 140 * i for i in range(3)) and x % 12 < 6:
                pixel = (34, 120, 40)
            else:
                pixel = (70, 150 - (y - 170) // 4, 60)
            row += bytes(pixel)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def checklist_pdf() -> bytes:
    """The offer guide's checklist as a real PDF (Typst, already the record's renderer)."""
    import typst

    source = (
        '#set text(lang: "pl")\n= Lista kontrolna oferty\n\n- Oferta złożona w terminie i w generatorze\n'
        "- Podpisy osób uprawnionych według KRS\n- Rezultaty policzalne i zgodne z działaniami\n"
        "- Kosztorys powiązany z harmonogramem\n- Wkład własny zgodny z ogłoszeniem\n"
    )
    return typst.compile(source.encode(), format="pdf")


def _principal(session: Session, email: str) -> Principal | None:
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        return None
    roles = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(roles.all()))


def _exists(session: Session, title: str) -> bool:
    return session.exec(select(KnowledgeItem.id).where(KnowledgeItem.title == title)).first() is not None


def load(session: Session, domain: str, municipality: str) -> None:
    advisor = _principal(session, f"{ADVISOR}@{domain}")
    centre = session.exec(select(Organisation).where(Organisation.name == CENTRE)).first()
    if advisor is None or centre is None:
        return
    standing = standing_of(session, advisor)
    if not standing.publishes:
        return
    publisher = f"organisation:{centre.id}"
    for n, guide in enumerate(GUIDES):
        if not _exists(session, guide["title"]):
            pdf = (
                check_file("attachment", "lista-kontrolna-oferty.pdf", checklist_pdf(), photo=False) if n == 0 else None
            )
            files = [Upload(pdf, "attachment")] if pdf else []
            publish_item(session, advisor, standing, KnowledgeInput(**guide, publisher=publisher), files)
    if not _exists(session, PRACTICE["title"]):
        photo = check_file("photo", "ogrod-sasiedzki.png", garden_png(), photo=True)
        data = KnowledgeInput(**PRACTICE, publisher=publisher, photo_alt=PHOTO_ALT)
        publish_item(session, advisor, standing, data, [Upload(photo, "photo", PHOTO_ALT)])
    proposer = _principal(session, f"{PROPOSER}@{domain}")
    circle = session.exec(select(Organisation).where(Organisation.name == CIRCLE)).first()
    if proposer is not None and circle is not None and not _exists(session, PROPOSED["title"]):
        propose_item(session, proposer, circle, KnowledgeInput(**PROPOSED, publisher=str(circle.id)), [])
