"""The Nu Html Checker over every page family, as every role, fragments included: zero errors.

The demo data (this year's open consultation, last year's closed one with its record) plus a consultation that has
closed and waits for answers, a draft and a scheduled one. Each role crawls the site from a few seeds, following every
link and every hx-get (a fragment, validated inside a minimal document), at most a few pages per route; then submits
each form it met once as htmx does (filled in) and once without JavaScript (empty, for the pages with errors). Every
HTML answer is written to a temporary directory and checked by one run of vnu.jar (Java 17 from Debian).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter, deque
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlmodel import Session, select
from starlette.routing import Match

from consult.accounts.actions import make_confirm_token, make_reset_token
from consult.comments.actions import CommentInput, ModerationInput, edit_comment, hide_comment, withdraw_comment
from consult.consultations.actions import gate_for
from consult.demo import DEMO_PASSWORD, DOMAIN, load_demo
from consult.models import (
    Comment,
    Consultation,
    CoSignature,
    Invitation,
    LedgerEvent,
    Organisation,
    Thread,
    User,
    WorkingGroup,
    utcnow,
)
from tests.conftest import Client
from tests.factories import make_comment, make_consultation, make_proposal, make_user, principal
from tests.world import every_route

VNU = Path(__file__).resolve().parents[1] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SITE = "http://testserver"
PER_ROUTE = 3  # pages of one route a role validates (a consultation, another one, a third state)
MINIMAL = (
    '<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><main>{body}</main></body></html>"
)
# Not HTML pages: the language switch (a redirect), the API, and files (.json, .csv, .pdf, .xlsx, .atom, .ico).
NOT_PAGES = {"pages:language", "api:consultations", "api:consultation", "knowledge:file"}
FILE_SUFFIXES = (".json", ".csv", ".pdf", ".xlsx", ".atom", ".ics", ".ico")


def is_page(route) -> bool:
    return route.name not in NOT_PAGES and not route.path.endswith(FILE_SUFFIXES) and "GET" in (route.methods or ())


# htmx's attributes are not in the HTML standard, so the checker names each one; only those messages are dropped.
HTMX_ATTRIBUTES = "Attribute “hx-[a-z-]+” not allowed on element “[a-z0-9]+” at this point\\."
ROLES = {
    "visitor": None,
    "resident": f"mieszkanka@{DOMAIN}",
    "ngo": f"fundacja@{DOMAIN}",
    "ngo_admin": f"klub@{DOMAIN}",
    "official": f"urzednik@{DOMAIN}",
    "platform_admin": f"admin@{DOMAIN}",
    "advisor": f"doradca@{DOMAIN}",  # the support centre's: its queue and the demo's private advice threads
}
SEEDS = ["/", "/consultations", "/organisations", "/my/organisations", "/search?q=program", "/accessibility"]


def java_missing() -> str | None:
    if not VNU.exists():
        return f"{VNU} is missing (npm install)"
    if shutil.which("java") is None:
        return "java is missing (apt-get install default-jre-headless)"
    return None


pytestmark = pytest.mark.skipif(
    java_missing() is not None and os.environ.get("CONSULT_REQUIRE_BROWSER") != "1",
    reason=f"the Nu Html Checker needs Java and vnu.jar: {java_missing()} (CONSULT_REQUIRE_BROWSER=1 fails instead)",
)


class Links(HTMLParser):
    """The local links of a page (href, hx-get) and its forms with their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: list[str] = []
        self.fragments: list[str] = []
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.pages.append(a["href"])
        if a.get("hx-get"):
            self.fragments.append(a["hx-get"])
        if tag == "form" and a.get("method", "get").lower() == "get" and a.get("action"):
            self.forms.append({"action": a["action"], "get": True, "fields": {}, "texts": []})
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.forms.append({"action": a.get("action", ""), "htmx": "hx-post" in a, "fields": {}, "texts": []})
        if not self.forms or tag not in {"input", "select", "textarea", "option"}:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "select":
            self._select = name
        elif tag == "option" and self._select and self._select not in form["fields"] and a.get("value"):
            form["fields"][self._select] = a["value"]
        elif tag == "textarea" and name:
            form["texts"].append(name)
        elif tag == "input" and name and a.get("type") not in {"checkbox", "file"}:
            if a.get("type") == "radio" and name in form["fields"]:
                return
            if a.get("type") in {None, "text", "email", "url", "tel", "search"} and not a.get("value"):
                form["texts"].append(name)
            form["fields"][name] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CONTAINERS = {"li": "ol", "tr": "table", "dt": "dl", "dd": "dl", "option": "select"}


class TopLevel(HTMLParser):
    """Where each top-level element of a fragment starts, and whether htmx swaps it out of band."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.depth, self.starts = 0, []
        self.line_starts = [0] + [i + 1 for i, char in enumerate(html) if char == "\n"]
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            line, column = self.getpos()
            self.starts.append((self.line_starts[line - 1] + column, tag, "hx-swap-oob" in dict(attrs)))
        if tag not in VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.depth -= 1


def as_document(fragment: str) -> str:
    """A fragment as the page it is swapped into holds it: its main part in the container its first element needs
    (<li> in a list, <tr> in a table), its out-of-band parts beside."""
    starts = TopLevel(fragment).starts
    bounds = [start for start, _tag, _oob in starts] + [len(fragment)]
    main = "".join(fragment[a:b] for (a, _t, oob), b in zip(starts, bounds[1:], strict=True) if not oob)
    oob = "".join(fragment[a:b] for (a, _t, oob), b in zip(starts, bounds[1:], strict=True) if oob)
    first = next((tag for _a, tag, oob in starts if not oob), "")
    if first in CONTAINERS:
        main = f"<{CONTAINERS[first]}>{main}</{CONTAINERS[first]}>"
    if not starts:
        main = fragment
    return MINIMAL.format(title="Fragment", body=main + oob)


def get_url(form: dict) -> str:
    """Where a GET form leads with the values it shows (the first option of each list)."""
    from urllib.parse import urlencode

    return form["action"] + "?" + urlencode({k: v for k, v in form["fields"].items() if v})


class Checker:
    """Pages written to a directory, checked by one vnu run."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.labels: dict[str, str] = {}
        self.failures: list[str] = []  # requests the server failed to answer

    def add(self, label: str, html: str) -> None:
        if not html.lstrip()[:15].lower().startswith("<!doctype"):
            html = as_document(html)
        path = self.directory / f"page-{len(self.labels):04d}.html"
        path.write_text(html, encoding="utf-8")
        self.labels[path.name] = label

    def errors(self) -> list[str]:
        command = ["java", "-jar", str(VNU), "--format", "json", "--stdout", "--errors-only"]
        command += ["--filterpattern", HTMX_ATTRIBUTES]
        command += [str(self.directory / name) for name in self.labels]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        messages = json.loads(result.stdout)["messages"]
        return [
            f"{self.labels.get(Path(urlsplit(m.get('url', '')).path).name, m.get('url'))} "
            f"line {m.get('lastLine')}: {m['message']} [{m.get('extract', '').strip()[:120]}]"
            for m in messages
            if m["type"] == "error"
        ]


class Crawl:
    """One role reading the site: every link and fragment, PER_ROUTE pages per route; then its forms."""

    def __init__(self, client: Client, role: str, checker: Checker, routes) -> None:
        self.client, self.role, self.checker, self.routes = client, role, checker, routes
        self.pages = {route.name for route in routes if is_page(route)}
        self.visited: Counter[tuple[str, bool]] = Counter()
        self.forms: dict[str, dict] = {}
        self.covered: set[str] = set()

    def route_of(self, path: str) -> str | None:
        scope = {"type": "http", "path": path, "method": "GET"}
        for route in self.routes:
            if route.matches(scope)[0] == Match.FULL:
                return route.name
        return None

    def run(self, seeds: list[str]) -> None:
        """Breadth first from the seeds (each read whatever the count of its route), then PER_ROUTE a route."""
        queue = deque((seed, False, True) for seed in seeds)
        seen: set[tuple[str, bool]] = set()
        while queue:
            url, fragment, seed = queue.popleft()
            url = url.removeprefix(SITE).split("#")[0]
            if not url.startswith("/") or url.startswith("//") or (url, fragment) in seen:
                continue
            seen.add((url, fragment))
            name = self.route_of(urlsplit(url).path)
            if name is None or name not in self.pages or (self.visited[(name, fragment)] >= PER_ROUTE and not seed):
                continue
            self.visited[(name, fragment)] += 1
            links = self.get(url, fragment, name)
            if links is not None:
                queue.extend((link, False, False) for link in links.pages)
                queue.extend((get_url(f), False, False) for f in links.forms if f.get("get"))
                queue.extend((link, True, False) for link in links.fragments)

    def get(self, url: str, fragment: bool, name: str) -> Links | None:
        headers = {"HX-Request": "true"} if fragment else {}
        try:
            response = self.client.get(url, headers=headers, follow_redirects=False)
        except Exception as error:  # noqa: BLE001  (reported with the others at the end)
            self.checker.failures.append(f"{self.role} GET {url}: {error!r}")
            return None
        if response.status_code >= 500:
            self.checker.failures.append(f"{self.role} GET {url}: {response.status_code}")
        self.covered.add(name)  # a page, or a redirect to one (a permalink, the latest receipt)
        if response.is_redirect:
            links = Links()
            links.pages.append(response.headers["location"])
            return links
        if "text/html" not in response.headers.get("content-type", ""):
            return None
        return self.keep(f"{self.role} GET {url}{' (htmx)' if fragment else ''} [{response.status_code}]", response)

    def keep(self, label: str, response) -> Links:
        self.checker.add(label, response.text)
        links = Links()
        links.feed(response.text)
        for form in links.forms:
            if form.get("get"):
                continue
            action = form["action"].removeprefix(SITE)
            name = self.route_of_post(urlsplit(action).path)
            if name and name not in self.forms and name not in {"accounts:logout"}:
                self.forms[name] = {**form, "action": action}
        return links

    def route_of_post(self, path: str) -> str | None:
        scope = {"type": "http", "path": path, "method": "POST"}
        for route in self.routes:
            if route.matches(scope)[0] == Match.FULL:
                return route.name
        return None

    def submit_forms(self) -> None:
        """Each form: with JavaScript as htmx sends it, filled in; without, its text fields empty (the errors)."""
        for name, form in sorted(self.forms.items()):
            for htmx in (True, False) if form["htmx"] else (False,):
                data = dict(form["fields"])
                for field in form["texts"]:
                    data[field] = "Uwaga testowa do projektu." if htmx else ""
                if name in {"accounts:login", "accounts:register", "accounts:forgot"}:
                    data = {"csrf_token": data.get("csrf_token", "")}
                headers = {"HX-Request": "true"} if htmx else {}
                label = f"{self.role} POST {form['action']}{' (htmx)' if htmx else ''}"
                try:
                    response = self.client.post(form["action"], data=data, headers=headers, follow_redirects=False)
                except Exception as error:  # noqa: BLE001  (reported with the others at the end)
                    self.checker.failures.append(f"{label}: {error!r}")
                    continue
                label += f" [{response.status_code}]"
                if response.status_code >= 500:
                    self.checker.failures.append(label)
                if response.is_redirect:
                    location = response.headers["location"].removeprefix(SITE)
                    response = self.client.get(location, follow_redirects=True)
                    label += f" then GET {location}"
                if "text/html" in response.headers.get("content-type", "") and response.text.strip():
                    self.covered.add(name)
                    self.keep(label, response)


def closed_awaiting_answers(db: Session) -> Consultation:
    """A consultation of Wierzbno that closed two days ago with a comment, a reply and a proposal unanswered."""
    gmina = db.exec(select(Organisation).where(Organisation.name == "Gmina Wierzbno")).one()  # not its neighbours
    official = db.exec(select(User).where(User.email == f"urzednik@{DOMAIN}")).one()
    club_admin = db.exec(select(User).where(User.email == f"klub@{DOMAIN}")).one()
    seniors_admin = db.exec(select(User).where(User.email == f"seniorzy@{DOMAIN}")).one()
    club = db.get(Organisation, next(iter(principal(db, club_admin).roles)))
    seniors = db.get(Organisation, next(iter(principal(db, seniors_admin).roles)))
    consultation = make_consultation(
        db, official=official, municipality=gmina, title="Regulamin budżetu obywatelskiego Gminy Wierzbno"
    )
    root = make_comment(db, consultation, author=club_admin, organisation=club, body="Prosimy o **dłuższy** termin.")
    reply = make_comment(db, consultation, author=seniors_admin, organisation=seniors, parent=root, body="Popieramy.")
    gate = gate_for(consultation, gmina)
    edited = CommentInput(body="Popieramy, z zastrzeżeniem budżetu.", organisation_id=seniors.id)
    edit_comment(db, principal(db, seniors_admin), reply, gate, edited)
    for reason, author, organisation in (("withdrawn", club_admin, club), ("hidden", seniors_admin, seniors)):
        comment = make_comment(db, consultation, author=author, organisation=organisation, body="Do usunięcia.")
        if reason == "withdrawn":
            withdraw_comment(db, principal(db, author), comment, gate)
        else:
            hide_comment(db, principal(db, official), comment, gate, ModerationInput(reason="Obraźliwy język."))
    make_proposal(db, consultation, author=seniors_admin, organisation=seniors, title="Głosowanie także na papierze")
    _desk9_moderation(db, consultation, gate, official, root, seniors_admin, seniors)
    now = utcnow()
    consultation.opens_at, consultation.closes_at = now - timedelta(days=30), now - timedelta(days=2)
    consultation.published_at = now - timedelta(days=31)
    db.add(consultation)
    make_consultation(db, official=official, municipality=gmina, published=False, title="Projekt w przygotowaniu")
    make_consultation(db, official=official, municipality=gmina, opens_in=timedelta(days=10), title="Zaplanowane")
    db.commit()
    return consultation


def forum_groups(db: Session) -> None:
    """Two working groups of Wierzbno coordinated by its official: one taking declarations (the foundation accepted, the
    club's and the resident's pending), with a road map commented on and a discussion; one whose deadline passed."""
    from consult.comments.actions import submit_comment
    from consult.groups.documents import GROUP_THREAD, PARAGRAPH_THREAD, get_or_create_thread, paragraph_owner
    from consult.groups.queries import load_access
    from consult.groups.threads import gate_for as group_gate
    from consult.models import Paragraph
    from tests.factories import close_declarations, make_declaration, make_group, make_group_document

    official, foundation_admin, club_admin, resident = (
        db.exec(select(User).where(User.email == f"{who}@{DOMAIN}")).one()
        for who in ("urzednik", "fundacja", "klub", "mieszkanka")
    )
    gmina = db.get(Organisation, next(iter(principal(db, official).roles)))
    group = make_group(db, coordinator=official, organisation=gmina, name="Rozwój trzeciego sektora")
    foundation = db.get(Organisation, next(iter(principal(db, foundation_admin).roles)))
    make_declaration(db, group, organisation=foundation, user=foundation_admin, accepted=True)
    make_declaration(db, group, organisation=db.get(Organisation, next(iter(principal(db, club_admin).roles))))
    make_declaration(db, group, user=resident)
    document = make_group_document(db, group)
    key = db.exec(select(Paragraph.key).where(Paragraph.version_id == document.version_id)).first()
    thread = get_or_create_thread(db, PARAGRAPH_THREAD, paragraph_owner(document, key))
    gate = group_gate(load_access(db, group))
    submit_comment(db, principal(db, foundation_admin), thread.id, gate, CommentInput(body="Proponujemy **luty**."))
    discussion = get_or_create_thread(db, GROUP_THREAD, str(group.id))
    submit_comment(db, principal(db, official), discussion.id, gate, CommentInput(body="Witamy w zespole."))
    closed = make_group(db, coordinator=official, organisation=gmina, name="Sieci współpracy")
    close_declarations(db, closed)


def forum_resources(db: Session) -> None:
    """The demo's room and projector at the foundation, the club's accepted booking and the seniors' request; and
    the club's own hall, so that the foundation (crawled first) meets the request form before any switch is pressed."""
    from consult.resources.demo import CLUB, load_demo_resources
    from tests.factories import make_resource

    load_demo_resources(db)
    club = db.exec(select(Organisation).where(Organisation.name == CLUB)).one()
    make_resource(db, club, name="Świetlica klubu", address="ul. Sportowa 1, Wierzbno", capacity=60)


def resource_urls(db: Session) -> list[str]:
    """Each resource and booking, the lists, and the bookings pages of the organisations that lend or borrow."""
    from consult.models import Booking, Resource

    urls = ["/resources", "/resources?kind=room&step_free=1&min_capacity=10"]
    sides = select(Organisation.slug).where(
        Organisation.id.in_(select(Resource.organisation_id)) | Organisation.id.in_(select(Booking.organisation_id))
    )
    for slug in db.exec(sides).all():
        urls += [f"/organisations/{slug}/resources", f"/organisations/{slug}/bookings"]
    urls += [f"/resources/{resource_id}" for resource_id in db.exec(select(Resource.id)).all()]
    return urls + [f"/resources/bookings/{booking_id}" for booking_id in db.exec(select(Booking.id)).all()]


def forum_networks(db: Session) -> None:
    """The valley's network, coordinated by Wierzbno's official across the four gminas: the club admitted at last
    quarter's meeting, the seniors too, the foundation's application waiting; quarterly meetings with attendance
    (two held, one coming) and a members' discussion with a reply."""
    from consult.comments.actions import submit_comment
    from consult.networks.queries import access_of
    from consult.networks.threads import gate_of, post_to_discussion
    from tests.factories import admit_to_network, apply_to, make_network, make_network_meeting, register_organisation

    official, club_admin, seniors_admin, foundation_admin = (
        db.exec(select(User).where(User.email == f"{who}@{DOMAIN}")).one()
        for who in ("urzednik", "klub", "seniorzy", "fundacja")
    )
    club, seniors, foundation = (
        db.get(Organisation, next(iter(principal(db, person).roles)))
        for person in (club_admin, seniors_admin, foundation_admin)
    )
    gminas = db.exec(select(Organisation).where(Organisation.kind == "municipality").order_by(Organisation.id)).all()
    network = make_network(db, coordinator=official, municipalities=list(gminas), name="Sieć NGO Doliny Wierzbnicy")
    spring = make_network_meeting(db, network, starts_in=timedelta(days=-150), title="Spotkanie kwartalne (wiosna)")
    summer = make_network_meeting(db, network, starts_in=timedelta(days=-60), title="Spotkanie kwartalne (lato)")
    make_network_meeting(db, network, starts_in=timedelta(days=30), title="Spotkanie kwartalne (jesień)")
    admit_to_network(db, network, club, meeting=spring, note="Witamy!")
    admit_to_network(db, network, seniors)
    apply_to(db, network, foundation, message="Prowadzimy festiwal i warsztaty.")
    register_organisation(db, spring, club, attended=2)
    register_organisation(db, summer, seniors, attended=0)
    root = post_to_discussion(db, principal(db, club_admin), network, CommentInput(body="Kto ma **rzutnik**?"))
    reply = CommentInput(body="Mamy, pożyczymy.", organisation_id=seniors.id)
    submit_comment(db, principal(db, seniors_admin), root.thread_id, gate_of(access_of(db, network)), reply, root)


def network_urls(db: Session) -> list[str]:
    """The networks' list and founding form, and each network's pages."""
    from consult.models import Network

    urls = ["/networks", "/networks/new"]
    for slug in db.exec(select(Network.slug)).all():
        urls += [f"/networks/{slug}"] + [
            f"/networks/{slug}/{page}"
            for page in ("discussion", "members", "applications", "coordinators", "attendance", "edit")
        ]
    return urls


def forum_meetings(db: Session) -> None:
    """The club's congress (two groups, 12 places: the foundation and the seniors registered, the resident on her own,
    one organisation waiting), its draft, a cancelled training; and the gmina's forum held yesterday during the open
    consultation, with attendance, minutes and a point of them entered into the consultation."""
    from consult.meetings import actions as meetings
    from consult.meetings import after
    from consult.meetings.points import PointInput, enter_minutes_point
    from consult.models import MeetingBreakout
    from tests.factories import make_meeting, make_organisation, register_for

    official, club_admin, seniors_admin, foundation_admin, resident = (
        db.exec(select(User).where(User.email == f"{who}@{DOMAIN}")).one()
        for who in ("urzednik", "klub", "seniorzy", "fundacja", "mieszkanka")
    )
    club, seniors, foundation, gmina = (
        db.get(Organisation, next(iter(principal(db, person).roles)))
        for person in (club_admin, seniors_admin, foundation_admin, official)
    )
    congress = make_meeting(
        db, organiser=club_admin, organisation=club, title="Kongres organizacji powiatu", kind="congress",
        capacity=12, breakouts=(("Sport i turystyka", 6), ("Pomoc społeczna i zdrowie", None)),
        agenda="- Grupy tematyczne\n- Sesja plenarna\n- Konkursy grantowe",
    )  # fmt: skip
    sport, welfare = db.exec(select(MeetingBreakout).where(MeetingBreakout.meeting_id == congress.id)).all()
    register_for(db, congress, user=seniors_admin, organisation=seniors, head_count=6, breakout=sport,
                 catering_needs="Dwa posiłki bezglutenowe")  # fmt: skip
    register_for(db, congress, user=foundation_admin, organisation=foundation, head_count=5, breakout=welfare)
    register_for(db, congress, user=resident, myself=True, breakout=welfare)
    register_for(db, congress, head_count=2, breakout=welfare)  # waits
    make_meeting(db, organiser=club_admin, organisation=club, title="Szkic: turniej", published=False)
    training = make_meeting(db, organiser=club_admin, organisation=club, title="Szkolenie z dotacji", kind="training")
    meetings.cancel_meeting(db, principal(db, club_admin), training, meetings.CancelInput(reason="Choroba"), "")
    forum = make_meeting(db, organiser=official, organisation=gmina, title="Forum organizacji", kind="forum")
    held = register_for(db, forum, user=foundation_admin, organisation=foundation, head_count=2)
    forum.starts_at, forum.ends_at = utcnow() - timedelta(hours=26), utcnow() - timedelta(hours=23)
    db.add(forum)
    db.commit()
    who = principal(db, official)
    after.record_attendance(db, who, forum, {f"attended-{held.id}": "2"})
    minutes = "Otwarcie forum.\n\n- Fundacja proponuje **małe granty**.\n- Więcej konsultacji w szkołach."
    after.publish_minutes(db, who, forum, after.MinutesInput(minutes=minutes))
    now = utcnow()
    open_now = db.exec(
        select(Consultation).where(
            Consultation.organisation_id == gmina.id, Consultation.opens_at < forum.starts_at,
            Consultation.closes_at > now, Consultation.published_at.is_not(None),
        )
    ).first()  # fmt: skip
    if open_now is not None:
        point = PointInput(consultation_id=open_now.id, organisation_id=foundation.id, body="Małe granty.")
        enter_minutes_point(db, who, forum, point)
    make_organisation(db, name="Stowarzyszenie bez spotkań")


def meeting_urls(db: Session) -> list[str]:
    """The meetings' list and form, each meeting's pages, and each registration's."""
    from consult.models import Meeting, Registration

    urls = ["/meetings", "/meetings/new"]
    for slug in db.exec(select(Meeting.slug)).all():
        urls += [f"/meetings/{slug}"] + [
            f"/meetings/{slug}/{page}"
            for page in ("edit", "cancel", "registrations", "minutes", "points/new", "points/new?point=2")
        ]
    for registration_id, slug in db.exec(
        select(Registration.id, Meeting.slug).join(Meeting, Meeting.id == Registration.meeting_id)
    ).all():
        urls.append(f"/meetings/{slug}/registrations/{registration_id}")
    return urls


def _desk9_moderation(db: Session, consultation, gate, official, root, seniors_admin, seniors) -> None:
    """A flagged comment waiting in the officials' moderation queue, and a proposal hidden with a public reason."""
    from consult.comments.flags import FlagInput, flag_comment
    from consult.proposals.moderation import ProposalModerationInput, hide_proposal

    resident = db.exec(select(User).where(User.email == f"mieszkanka@{DOMAIN}")).one()
    flag_comment(db, principal(db, resident), root, gate, FlagInput(category="off_topic", reason="Nie na temat."))
    hidden = make_proposal(db, consultation, author=seniors_admin, organisation=seniors, title="Reklama")
    hide_proposal(db, principal(db, official), hidden, consultation, ProposalModerationInput(reason="Reklama."))


def advice_urls(db: Session) -> list[str]:
    """Advice: the lists, the form, each support centre's queue and each request (only their two sides read them)."""
    from consult.models import AdviceRequest

    urls = ["/advice", "/advice/new"]
    centres = select(Organisation.slug).where(Organisation.support_centre)
    urls += [f"/advice/centres/{slug}" for slug in db.exec(centres).all()]
    return urls + [f"/advice/requests/{advice_id}" for advice_id in db.exec(select(AdviceRequest.id)).all()]


def seeds(db: Session) -> list[str]:
    """The start pages, and one of each thing in the database a link may not lead to within PER_ROUTE pages."""
    urls = list(SEEDS) + ["/desk/moderation"]
    for slug in db.exec(select(Consultation.slug)).all():
        urls += [f"/consultations/{slug}", f"/consultations/{slug}/diff", f"/consultations/{slug}/record"]
    for thread in db.exec(select(Thread).where(Thread.owner_kind == "paragraph")).all():
        slug = db.get(Consultation, thread.consultation_id).slug
        urls.append(f"/consultations/{slug}/paragraphs/{thread.owner_id.split(':')[1]}")
    for comment in db.exec(select(Comment).order_by(Comment.id)).all():
        urls += [f"/comments/{comment.id}", f"/comments/{comment.id}/replies", f"/receipts/comment/{comment.id}"]
        if comment.edited_at:
            urls.append(f"/comments/{comment.id}/history")
    for signature in db.exec(select(CoSignature)).all():
        urls.append(f"/receipts/cosign/{signature.subject_kind}/{signature.subject_id}/{signature.organisation_id}")
    for slug in db.exec(select(WorkingGroup.slug)).all():
        urls += ["/groups", f"/groups/{slug}", f"/groups/{slug}/declare"]
    urls += resource_urls(db)
    urls += network_urls(db)
    urls += meeting_urls(db)
    urls += advice_urls(db)
    return urls + [f"/receipts/{seq}" for seq in db.exec(select(LedgerEvent.seq).limit(3)).all()]


def signed_links(db: Session, settings) -> list[str]:
    """The links e-mails carry: confirming an address, choosing a new password, unsubscribing from a kind."""
    from consult.notifications.dispatch import make_token

    newcomer = make_user(db, email="nowa@example.pl", confirmed=False)
    resident = db.exec(select(User).where(User.email == f"mieszkanka@{DOMAIN}")).one()
    return [
        f"/confirm/{make_confirm_token(settings.secret_key, newcomer)}",
        f"/password/reset/{make_reset_token(db, settings.secret_key, resident)}",
        f"/notifications/unsubscribe/{make_token(settings.secret_key, resident.id, ['announcement'])}",
    ]


def invitation_link(db: Session, settings) -> str:
    """The link of an invitation to the sports club, for the resident."""
    club_admin = db.exec(select(User).where(User.email == f"klub@{DOMAIN}")).one()
    club = db.get(Organisation, next(iter(principal(db, club_admin).roles)))
    invitation = Invitation(organisation_id=club.id, email=f"mieszkanka@{DOMAIN}", invited_by_id=club_admin.id)
    db.add(invitation)
    db.commit()
    token = URLSafeTimedSerializer(settings.secret_key, salt="consult.invitation").dumps({"inv": invitation.id})
    return f"/invitations/{token}"


@pytest.mark.timeout(1200)  # walks every route: grows with the application, slow on a loaded machine
def test_every_page_family_validates(app, db, client, settings, tmp_path):
    assert java_missing() is None, java_missing()
    load_demo(db)
    closed_awaiting_answers(db)
    forum_groups(db)
    forum_resources(db)
    forum_networks(db)
    forum_meetings(db)
    links, invitation = signed_links(db, settings), invitation_link(db, settings)
    routes = every_route(app.routes)
    (tmp_path / "pages").mkdir()
    checker = Checker(tmp_path / "pages")
    covered: set[str] = set()
    for role, email in ROLES.items():
        client.cookies.clear()
        if email:
            client.login(email, DEMO_PASSWORD)
        crawl = Crawl(client, role, checker, routes)
        crawl.run(seeds(db))
        crawl.submit_forms()
        covered |= crawl.covered
    client.cookies.clear()
    client.cookies.set("consult_lang", "en")
    english = Crawl(client, "visitor-en", checker, routes)
    english.run(SEEDS)
    for path in ("/no-such-page", "/consultations/no-such-consultation", "/comments/999999/edit"):
        response = client.get(path)
        assert response.status_code == 404, path
        english.keep(f"visitor-en GET {path} [{response.status_code}]", response)
    english.run(links)
    client.login(f"mieszkanka@{DOMAIN}", DEMO_PASSWORD)
    english.run([invitation])
    forbidden = f"/consultations/{db.exec(select(Consultation.slug)).first()}/review"
    response = client.get(forbidden)
    assert response.status_code == 403, forbidden
    english.keep(f"resident-en GET {forbidden} [403]", response)
    get_pages = {r.name for r in routes if is_page(r)}
    missing = sorted(get_pages - covered - english.covered)
    assert missing == [], f"page families no role reached: {missing}"
    errors = checker.errors()
    print(f"\nNu Html Checker: {len(checker.labels)} pages, {len(errors)} errors")
    assert errors == [], f"{len(errors)} errors on {len(checker.labels)} pages:\n" + "\n".join(errors)
    assert checker.failures == [], "the server failed:\n" + "\n".join(checker.failures)
