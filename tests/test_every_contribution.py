"""Every contribution the server accepts is accounted for: exactly once where it was made, on the review screen while
it needs an answer, and in the published record (DESIGN.md, "Invariants that hold across all of it").

One consultation receives every kind of contribution through every channel, through the same HTTP requests a
browser sends: comments on the whole document before and after the first proposal, comments on a paragraph, replies,
a proposal's discussion, co-signatures, votes, and entries received on paper, by e-mail and at a meeting.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import col, select

from consult.models import Comment, Proposal, utcnow
from tests.factories import (
    close_consultation,
    fresh,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
)

LABEL = "§ 6 ust. 1 pkt 4"


class Scene:
    """Gmina Wierzbno consults; three verified NGOs take part, each through its admin's own browser."""

    def __init__(self, db, client, other_client) -> None:
        self.db = db
        self.official, self.municipality = make_official(db, email="urzednik@example.pl")
        self.consultation = make_consultation(
            db, official=self.official, municipality=self.municipality, opens_in=timedelta(days=-10)
        )
        self.slug = self.consultation.slug
        self.paragraph = paragraph_by_label(db, self.consultation, LABEL)
        self.admins = {}
        self.orgs = {}
        for short, name in (("kgw", "Koło Gospodyń Wiejskich"), ("osp", "OSP Wierzbno"), ("klub", "LKS Wierzbno")):
            admin = make_user(db, email=f"{short}@example.pl", display_name=f"Admin {short}")
            self.admins[short] = admin
            self.orgs[short] = make_organisation(db, admin=admin, verified=True, name=name)
        self.client, self.other = client, other_client
        self.ids: dict[str, int] = {}

    def as_user(self, email: str):
        """The one test client, logged out and in again as this person (each request is a browser's)."""
        self.client.cookies.clear()
        self.client.cookies.set("consult_lang", "en")
        self.client.login(email)
        return self.client

    def post(self, email: str, url: str, data: dict) -> None:
        response = self.as_user(email).submit(url, data)
        assert response.status_code == 200, (url, response.status_code, response.text[:2000])

    def comment(self, short: str, body: str, paragraph: str = "", **fields) -> int:
        data = {"paragraph": paragraph, "organisation_id": str(self.orgs[short].id), "body": body, **fields}
        self.post(f"{short}@example.pl", f"/consultations/{self.slug}/comments", data)
        return self.newest(Comment, body)

    def reply(self, short: str, parent_id: int, body: str) -> int:
        data = {"organisation_id": str(self.orgs[short].id), "body": body}
        self.post(f"{short}@example.pl", f"/comments/{parent_id}/reply", data)
        return self.newest(Comment, body)

    def propose(self, short: str, title: str) -> int:
        data = {"title": title, "body": f"Uzasadnienie: {title}.", "organisation_id": str(self.orgs[short].id)}
        self.post(f"{short}@example.pl", f"/consultations/{self.slug}/proposals/new", data)
        fresh(self.db)
        return self.db.exec(select(Proposal.id).where(Proposal.title == title)).one()

    def discuss(self, short: str, proposal_id: int, body: str) -> int:
        data = {"organisation_id": str(self.orgs[short].id), "body": body}
        self.post(f"{short}@example.pl", f"/consultations/{self.slug}/proposals/{proposal_id}/comments", data)
        return self.newest(Comment, body)

    def enter(self, short: str, channel: str, body: str, paragraph: str = "") -> int:
        data = {
            "organisation_id": str(self.orgs[short].id),
            "channel": channel,
            "received_at": (utcnow() - timedelta(days=2)).date().isoformat(),
            "paragraph": paragraph,
            "current_wording": "",
            "justification": f"Uzasadnienie ({channel}).",
            "body": body,
        }
        self.post("urzednik@example.pl", f"/consultations/{self.slug}/entries/new", data)
        return self.newest(Comment, body)

    def newest(self, model, body: str) -> int:
        fresh(self.db)
        return self.db.exec(select(model.id).where(model.body == body).order_by(col(model.id).desc())).first()

    def close(self) -> None:
        close_consultation(self.db, self.consultation)


def occurrences(html: str, element_id: str) -> int:
    return len(re.findall(rf'id="{re.escape(element_id)}"', html))


@pytest.fixture
def scene(db, client, other_client) -> Scene:
    """Every kind of contribution through every channel, in the order real use mixes them."""
    scene = Scene(db, client, other_client)
    key = scene.paragraph.key
    ids = scene.ids
    ids["general_before"] = scene.comment("kgw", "Prosimy o dłuższy termin konsultacji.", justification="Mało czasu.")
    ids["on_paragraph"] = scene.comment(
        "osp", "działalności na rzecz osób z niepełnosprawnością i ich opiekunów", key,
        current_wording="działalności na rzecz osób z niepełnosprawnością", justification="Opiekunowie też.",
    )  # fmt: skip
    ids["first_proposal"] = scene.propose("klub", "Sport seniorów wśród zadań priorytetowych")
    # A comment on the whole document after the first proposal: it used to land in the proposal's thread.
    ids["general_after"] = scene.comment("osp", "Program powinien wymieniać sołectwa.")
    ids["discussion"] = scene.discuss("kgw", ids["first_proposal"], "Popieramy, z zastrzeżeniem budżetu.")
    ids["reply_on_paragraph"] = scene.reply("klub", ids["on_paragraph"], "Zgadzamy się z OSP.")
    ids["reply_on_general"] = scene.reply("kgw", ids["general_after"], "Dopiszmy też Olszankę.")
    ids["second_proposal"] = scene.propose("kgw", "Mały grant na świetlice wiejskie")
    klub, osp = str(scene.orgs["klub"].id), str(scene.orgs["osp"].id)
    scene.post("klub@example.pl", f"/cosign/comment/{ids['on_paragraph']}", {"organisation_id": klub})
    scene.post("osp@example.pl", f"/cosign/proposal/{ids['first_proposal']}", {"organisation_id": osp})
    for short, choice in (("kgw", "for"), ("osp", "against"), ("klub", "for")):
        url = f"/consultations/{scene.slug}/proposals/{ids['first_proposal']}/vote"
        scene.post(f"{short}@example.pl", url, {"organisation_id": str(scene.orgs[short].id), "choice": choice})
    # Entries received outside the platform, entered by the official.
    ids["on_paper"] = scene.enter("klub", "paper", "Pismo: zwiększyć kwotę na sport.", key)
    ids["by_email"] = scene.enter("kgw", "email", "E-mail: prosimy o spotkanie w Olszance.")
    ids["at_meeting"] = scene.enter("osp", "meeting", "Ze spotkania: ogłoszenia także w sołectwach.")
    return scene


NEEDING_ANSWERS = [
    ("comment", name)
    for name in ("general_before", "on_paragraph", "general_after", "on_paper", "by_email", "at_meeting")
] + [("proposal", "first_proposal"), ("proposal", "second_proposal")]
DISCUSSION = ("discussion", "reply_on_paragraph", "reply_on_general")


def test_each_contribution_is_shown_once_where_it_was_made(scene):
    ids, slug = scene.ids, scene.slug
    reader = scene.other  # a resident without an account
    general = reader.get(f"/consultations/{slug}/discussion").text
    on_paragraph = reader.get(f"/consultations/{slug}/paragraphs/{scene.paragraph.key}").text
    proposal = reader.get(f"/consultations/{slug}/proposals/{ids['first_proposal']}").text
    where = {
        general: ("general_before", "general_after", "reply_on_general", "by_email", "at_meeting"),
        on_paragraph: ("on_paragraph", "reply_on_paragraph", "on_paper"),
        proposal: ("discussion",),
    }
    everything = {name for names in where.values() for name in names}
    for html, names in where.items():
        for name in everything:
            assert occurrences(html, f"comment-{ids[name]}") == (1 if name in names else 0), name
    detail = reader.get(f"/consultations/{slug}").text
    assert occurrences(detail, f"comment-{ids['discussion']}") == 0


def test_each_contribution_needing_an_answer_is_on_the_review_screen_once(scene):
    scene.close()
    review = scene.as_user("urzednik@example.pl").get(f"/consultations/{scene.slug}/review").text
    for kind, name in NEEDING_ANSWERS:
        assert occurrences(review, f"contribution-{kind}-{scene.ids[name]}") == 1, name
    for name in DISCUSSION:  # replies and a proposal's discussion are conversation, not contributions to answer
        assert occurrences(review, f"contribution-comment-{scene.ids[name]}") == 0, name


def test_each_contribution_is_in_the_published_record_once(scene):
    ids, slug = scene.ids, scene.slug
    scene.close()
    official = scene.as_user("urzednik@example.pl")
    for kind, name in NEEDING_ANSWERS:
        url = f"/consultations/{slug}/contributions/{kind}/{ids[name]}/answer"
        response = official.submit(url, {"position": "explained", "justification": "Wyjaśniono na spotkaniu."})
        assert response.status_code == 200, response.text[:1000]
    assert official.submit(f"/consultations/{slug}/record/publish", {"conclusion": "Bez zmian."}).status_code == 200
    record = json.loads(scene.other.get(f"/consultations/{slug}/record.json").content)

    rows = Counter(("comment", row["id"]) for row in record["contributions"])
    rows.update(("proposal", row["id"]) for row in record["proposals"])
    assert rows == Counter((kind, ids[name]) for kind, name in NEEDING_ANSWERS)
    by_id = {row["id"]: row for row in record["contributions"]}
    assert by_id[ids["general_after"]]["paragraph"] is None and by_id[ids["on_paragraph"]]["paragraph"] == LABEL
    assert [s["name"] for s in by_id[ids["on_paragraph"]]["co_signers"]] == ["LKS Wierzbno"]
    channels = {by_id[ids[name]]["channel"] for name in ("on_paper", "by_email", "at_meeting")}
    assert channels == {"paper", "email", "meeting"}
    proposal = next(p for p in record["proposals"] if p["id"] == ids["first_proposal"])
    assert proposal["tally"] == {"for": 2, "against": 1, "abstain": 0}
    assert [s["name"] for s in proposal["co_signers"]] == ["OSP Wierzbno"]
    replies = Counter(reply["id"] for row in record["contributions"] for reply in row["replies"])
    assert replies == Counter([ids["reply_on_paragraph"], ids["reply_on_general"]])
    assert by_id[ids["general_after"]]["replies"][0]["body"] == "Dopiszmy też Olszankę."
    assert [d["id"] for d in proposal["discussion"]] == [ids["discussion"]]
    # The record's page lists the conversation too, under the number each contribution has in the tables.
    page = scene.other.get(f"/consultations/{slug}/record").text
    for name in DISCUSSION:
        assert occurrences(page, f"record-reply-{ids[name]}") == 1, name
