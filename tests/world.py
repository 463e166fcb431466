"""One small world with every role and something behind every route, shared by the route matrix and the fuzz test.

The seven roles of the issue: a visitor, a resident (an account, no organisation), a plain member of an NGO, the
admin of another NGO, the NGO's admin, an official of the consulting municipality, and a platform admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from itsdangerous import URLSafeTimedSerializer
from sqlmodel import Session, select
from starlette.routing import Mount, Route

from consult.cosign.actions import CosignInput, cosign_contribution, load_contribution
from consult.mail import MAX_ATTEMPTS, queue_mail
from consult.models import CoSignature, Invitation, JoinRequest, LedgerEvent, Membership, User, utcnow
from consult.proposals.votes import cast_vote
from tests.factories import (
    add_member,
    make_admin,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_proposal,
    make_user,
    principal,
)

ROLES = ("visitor", "resident", "member", "admin_elsewhere", "ngo_admin", "official", "platform_admin")


@dataclass
class World:
    users: dict[str, User]
    params: dict[str, object]  # a real value for each path parameter name
    slugs: dict[str, str]  # the slug a route prefix means: consultation, organisation, municipality


def build_world(db: Session, settings) -> World:
    ngo_admin = make_user(db, email="ngo.admin@example.pl", display_name="Ewa Nowak")
    ngo = make_organisation(db, admin=ngo_admin, name="Stowarzyszenie Razem", verified=True)
    member = make_user(db, email="member@example.pl", display_name="Marek Zieliński")
    membership = add_member(db, ngo, member)
    admin_elsewhere = make_user(db, email="admin@elsewhere.pl", display_name="Jan Obok")
    other = make_organisation(db, admin=admin_elsewhere, name="Fundacja Obok", verified=True)
    official, municipality = make_official(db, email="official@gmina.example.pl")
    consultation = make_consultation(db, official=official, municipality=municipality)
    comment = make_comment(db, consultation, author=ngo_admin, organisation=ngo)
    reply = make_comment(db, consultation, author=admin_elsewhere, organisation=other, parent=comment)
    proposal = make_proposal(db, consultation, author=ngo_admin, organisation=ngo)
    contribution = load_contribution(db, "comment", comment.id)
    cosign_contribution(db, principal(db, admin_elsewhere), contribution, CosignInput(organisation_id=other.id))
    cast_vote(db, principal(db, admin_elsewhere), proposal, other.id, "for")
    resident = make_user(db, email="resident@example.pl", display_name="Zofia Mieszkanka")
    applicant = make_user(db, email="applicant@example.pl")
    invitation = Invitation(organisation_id=ngo.id, email=resident.email, invited_by_id=ngo_admin.id)
    join_request = JoinRequest(organisation_id=ngo.id, user_id=applicant.id, message="Chcę pomagać.")
    db.add_all([invitation, join_request])
    db.commit()
    token = URLSafeTimedSerializer(settings.secret_key, salt="consult.invitation").dumps({"inv": invitation.id})
    users = {
        "resident": resident,
        "member": member,
        "admin_elsewhere": admin_elsewhere,
        "ngo_admin": ngo_admin,
        "official": official,
        "platform_admin": make_admin(db, email="platform@example.pl"),
    }
    seq = db.exec(
        select(LedgerEvent.seq).where(LedgerEvent.action == "comment.submitted").order_by(LedgerEvent.seq)
    ).first()
    params = {
        "comment_id": reply.id,  # not the NGO's own comment: withdrawing it would change what later routes see
        "proposal_id": proposal.id,
        "contribution_id": comment.id,
        "kind": "comment",
        "subject_id": comment.id,
        "organisation_id": other.id,
        "seq": seq,
        "membership_id": membership.id,
        "invitation_id": invitation.id,
        "request_id": join_request.id,
        "token": token,
        "code": "en",
        "key": _first_paragraph_key(db, consultation),
        "message_id": _mail_given_up(db),  # the platform admin's outbox
        "month": consultation.opens_at.astimezone(ZoneInfo("Europe/Warsaw")).strftime("%Y-%m"),  # a bulletin's
    }
    slugs = {
        "consultations": consultation.slug,
        "api": consultation.slug,
        "organisations": ngo.slug,
        "municipalities": municipality.slug,
    }
    _forum_groups(db, params, slugs, official=official, municipality=municipality, ngo=ngo, other=admin_elsewhere)
    _forum_resources(db, params, ngo=ngo, other=other)
    _forum_networks(db, params, slugs, official=official, municipality=municipality, ngo=ngo, other=other)
    _forum_meetings(db, params, slugs, ngo=ngo, ngo_admin=ngo_admin, other=other, other_admin=admin_elsewhere)
    _commitments(db, params, official=official, municipality=municipality, ngo=ngo, ngo_admin=ngo_admin)
    _advice(db, params, slugs, ngo=ngo, member=member, platform_admin=users["platform_admin"])
    _reports(db, params, official=official, municipality=municipality)
    _surveys(db, params, slugs, official=official, municipality=municipality)
    _knowledge(db, params, slugs, ngo=ngo, ngo_admin=ngo_admin)
    _announcements(db, slugs, official=official, municipality=municipality)
    assert db.exec(select(CoSignature)).first() is not None and db.get(Membership, membership.id) is not None
    return World(users, params, slugs)


def _mail_given_up(db: Session) -> int:
    item = queue_mail(db, "nie.ma@example.pl", "Potwierdzenie", "Link.")
    item.attempts, item.failed_at, item.last_error = MAX_ATTEMPTS, utcnow(), "550 5.1.1 No such user"
    db.commit()
    return item.id


def _first_paragraph_key(db: Session, consultation) -> str:
    from consult.consultations.actions import current_version
    from consult.models import Paragraph

    version = current_version(db, consultation)
    return db.exec(select(Paragraph.key).where(Paragraph.version_id == version.id).order_by(Paragraph.position)).first()


def _forum_groups(db: Session, params: dict, slugs: dict, *, official, municipality, ngo, other) -> None:
    """A working group run by the municipality and coordinated by its official: the NGO accepted (so its member takes
    part), a pending individual declaration of the admin elsewhere (the one the matrix withdraws), and a road map."""
    from consult.models import Paragraph
    from tests.factories import make_declaration, make_group, make_group_document

    group = make_group(db, coordinator=official, organisation=municipality, name="Rozwój trzeciego sektora")
    make_declaration(db, group, organisation=ngo, accepted=True)
    pending = make_declaration(db, group, user=other)
    document = make_group_document(db, group)
    first = select(Paragraph.key).where(Paragraph.version_id == document.version_id).order_by(Paragraph.position)
    params.update(declaration_id=pending.id, document_id=document.id, paragraph=db.exec(first).first())
    slugs["groups"] = group.slug


def _forum_resources(db: Session, params: dict, *, ngo, other) -> None:
    """A room the NGO lends (its admin decides), and a request for it from the organisation elsewhere, undecided."""
    from tests.factories import make_booking, make_resource

    room = make_resource(db, ngo, name="Sala konferencyjna")
    params.update(resource_id=room.id, booking_id=make_booking(db, room, other).id)


def _forum_networks(db: Session, params: dict, slugs: dict, *, official, municipality, ngo, other) -> None:
    """A network the official coordinates, spanning the municipality: the NGO a member (its admin and member read
    the members' pages), the organisation elsewhere's application pending (the one a coordinator decides)."""
    from tests.factories import admit_to_network, apply_to, make_network

    network = make_network(db, coordinator=official, municipalities=[municipality], name="Sieć Doliny Wierzbnicy")
    admit_to_network(db, network, ngo)
    params.update(application_id=apply_to(db, network, other).id, coordinator_id=official.id)
    slugs["networks"] = network.slug


def _forum_meetings(db: Session, params: dict, slugs: dict, *, ngo, ngo_admin, other, other_admin) -> None:
    """The NGO's quarterly meeting, open to everyone (its admin organises it, two breakout groups), for which the
    organisation elsewhere registered; the calendar feeds of the NGO, the municipality, the network and the group."""
    from consult.models import MeetingBreakout, Network, WorkingGroup
    from tests.factories import make_meeting, register_for

    meeting = make_meeting(
        db, organiser=ngo_admin, organisation=ngo, capacity=20, breakouts=(("Planowanie", 10), ("Ewaluacja", 10))
    )
    first = db.exec(select(MeetingBreakout).where(MeetingBreakout.meeting_id == meeting.id)).first()
    registration = register_for(db, meeting, user=other_admin, organisation=other, head_count=2, breakout=first)
    network = slugs.get("networks") or db.exec(select(Network.slug)).first()
    group = slugs.get("groups") or db.exec(select(WorkingGroup.slug)).first()
    params.update(
        registration_id=registration.id,
        organisation_slug=ngo.slug,
        municipality_slug=slugs["municipalities"],
        network_slug=network or "no-network",
        group_slug=group or "no-group",
    )
    slugs["meetings"] = meeting.slug


def _advice(db: Session, params: dict, slugs: dict, *, ngo, member, platform_admin) -> None:
    """A support centre whose one advisor is none of the roles, and a new request from the NGO (asked by its member):
    only the NGO's two people are its other side."""
    from consult.advice.actions import AskInput, ask_advice, mark_support_centre

    advisor = make_user(db, email="doradca@centrum.example.pl", display_name="Piotr Doradca")
    centre = make_organisation(db, admin=advisor, name="Centrum Wspierania Organizacji")
    mark_support_centre(db, principal(db, platform_admin), centre, True)
    data = {"organisation_id": ngo.id, "centre_id": centre.id, "topic": "finance", "mode": "online",
            "description": "Jak rozliczyć dotację z gminy?"}  # fmt: skip
    params["advice_id"] = ask_advice(db, principal(db, member), AskInput.model_validate(data)).id
    slugs["advice"] = centre.slug


def _announcements(db: Session, slugs: dict, *, official, municipality) -> None:
    """A funding opportunity the official posted to the municipality's organisations (the official edits and
    withdraws it; the platform admin may withdraw it too)."""
    from datetime import timedelta

    from consult.announcements.actions import AnnouncementInput, post_announcement
    from consult.announcements.queries import today

    values = {"title": "Konkurs dla organizacji sportowych", "category": "funding", "funder": "Gmina",
              "audience": f"municipality:{municipality.id}", "body": "Dotacje na szkolenie dzieci i młodzieży.",
              "deadline": today() + timedelta(days=20), "fields": ["sport"]}  # fmt: skip
    data = AnnouncementInput.model_validate(values)
    slugs["announcements"] = post_announcement(db, principal(db, official), data, lambda slug: slug).slug


def _knowledge(db: Session, params: dict, slugs: dict, *, ngo, ngo_admin) -> None:
    """A good practice the NGO proposed, with a photo, awaiting review: the NGO's people and the reviewers (the
    official coordinates the network) read it and its photo, nobody else."""
    from consult.knowledge.actions import KnowledgeInput, Upload, propose_item
    from consult.knowledge.demo import garden_png
    from consult.knowledge.files import check_file
    from consult.models import KnowledgeFile

    data = KnowledgeInput(title="Ogród sąsiedzki", body="Razem z seniorami.", photo_alt="Skrzynie z warzywami")
    photo = Upload(check_file("photo", "ogrod.png", garden_png(40, 30), photo=True), "photo", data.photo_alt)
    item = propose_item(db, principal(db, ngo_admin), ngo, data, [photo])
    params["file_id"] = db.exec(select(KnowledgeFile.id).where(KnowledgeFile.item_id == item.id)).one()
    slugs["knowledge"] = item.slug


def _commitments(db: Session, params: dict, *, official, municipality, ngo, ngo_admin) -> None:
    """Last year's consultation of the municipality, closed, the NGO's comment accepted and the record published:
    its commitment (planned) is the one the matrix reads and tries to change."""
    from consult.answers.actions import AnswerInput, answer_contribution
    from consult.models import Commitment
    from consult.records.actions import RecordInput, publish_record
    from tests.factories import close_consultation

    last = make_consultation(db, official=official, municipality=municipality, title="Program współpracy na rok 2026")
    comment = make_comment(db, last, author=ngo_admin, organisation=ngo, body="Prosimy o wyższą kwotę.")
    close_consultation(db, last)
    who = principal(db, official)
    answer_contribution(db, who, last, ("comment", comment.id), AnswerInput(position="accepted"))
    publish_record(db, who, last, RecordInput(conclusion="Projekt trafia do rady ze zmianą."))
    params["commitment_id"] = db.exec(select(Commitment.id).where(Commitment.consultation_id == last.id)).one()


def _reports(db: Session, params: dict, *, official, municipality) -> None:
    """The municipality's yearly report for this year, a draft with nothing entered: only its officials see it, and
    publishing it is refused (figures missing)."""
    from zoneinfo import ZoneInfo

    from consult.models import utcnow
    from consult.reports.actions import start_report

    year = utcnow().astimezone(ZoneInfo("Europe/Warsaw")).year
    params["year"] = start_report(db, principal(db, official), municipality, year).year


def _surveys(db: Session, params: dict, slugs: dict, *, official, municipality) -> None:
    """The municipality's evaluation of cooperation, open for organisations' answers (its official owns it)."""
    from consult.surveys.queries import questions_of
    from tests.factories import make_survey

    survey = make_survey(db, official=official, municipality=municipality)
    params["question_id"] = questions_of(db, survey.id)[1].id
    slugs["surveys"] = survey.slug


def every_route(routes) -> list[Route]:
    """Every endpoint of the application, read from its router (mounted apps other than static included)."""
    found: list[Route] = []
    for route in routes:
        if isinstance(route, Mount):
            found.extend(every_route(route.routes or []))
        elif isinstance(route, Route):
            found.append(route)
    return found


def path_of(world: World, route: Route, **overrides) -> str:
    """The route's path with the world's values for its parameters (the slug by the route's first segment)."""
    prefix = route.path.strip("/").split("/")[0]
    values = {
        name: overrides.get(name, world.slugs.get(prefix, world.slugs["organisations"]) if name == "slug" else None)
        for name in route.param_convertors
    }
    for name in values:
        if values[name] is None:
            values[name] = world.params[name]
    if route.name == "opinions:council":  # the municipality's page about its council
        values["slug"] = overrides.get("slug", world.slugs["municipalities"])
    return route.path_format.format(**values)
