"""The knowledge base: the input model, the queries of the list, an item and its files, and the actions that publish,
propose and review. What a file is, and when it is refused, is in `files.py`; the search in `search.py`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func
from sqlmodel import Session, col, select

from consult import ledger, permissions
from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _
from consult.knowledge import search
from consult.knowledge.files import CheckedFile
from consult.knowledge.rules import ItemAccess, Standing, rules
from consult.models import (
    FIELDS_OF_ACTIVITY,
    KnowledgeField,
    KnowledgeFile,
    KnowledgeItem,
    KnowledgeTopic,
    Membership,
    Network,
    NetworkCoordinator,
    Organisation,
    utcnow,
)
from consult.permissions import Principal
from consult.slugs import unique_slug

permissions.register_rules("knowledge", rules)

PAGE_SIZE = 20
MAX_TOPICS = 8
RESERVED_SLUGS = ("new", "propose", "proposals", "files")
KIND_LABELS = {
    "guide": _("Guide"),
    "good_practice": _("Good practice"),
    "initiative_report": _("Report of a local initiative"),
}
STATE_LABELS = {
    "proposed": _("Proposal awaiting review"),
    "published": _("Proposal published"),
    "rejected": _("Proposal rejected"),
}
TOPIC_SPLIT = re.compile(r"[,;\n]+")


class KnowledgeInput(BaseModel):
    """A guide, good practice or report: its text in Markdown, fields of activity and free topics."""

    title: str = Field(min_length=3, max_length=300)
    kind: Literal["guide", "good_practice", "initiative_report"] = "good_practice"
    summary: str = Field(default="", max_length=1000)
    body: str = Field(min_length=1, max_length=50_000)
    fields: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    photo_alt: str = Field(default="", max_length=300)
    publisher: str = ""  # "organisation:<id>" or "network:<id>" for a publisher; the organisation's id to propose

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, value: object) -> list[str]:
        items = [value] if isinstance(value, str) else list(value or [])
        if any(item not in FIELDS_OF_ACTIVITY for item in items):
            raise invalid(_("Choose fields of activity from the list."))
        return sorted(set(items))

    @field_validator("topics", mode="before")
    @classmethod
    def _topics(cls, value: object) -> list[str]:
        typed = value if isinstance(value, str) else ",".join(str(v) for v in (value or []))
        topics = sorted({" ".join(t.split()).lower() for t in TOPIC_SPLIT.split(typed) if t.strip()})
        if len(topics) > MAX_TOPICS:
            raise invalid(_("Give at most 8 topics."))
        if any(len(t) > 40 for t in topics):
            raise invalid(_("A topic may have at most 40 characters."))
        return topics


@dataclass
class Upload:
    """A checked file going with the item: an attachment, or a photo with its alternative text."""

    file: CheckedFile
    role: Literal["attachment", "photo"]
    alt_text: str = ""


# --- queries --------------------------------------------------------------------------------


def standing_of(session: Session, principal: Principal | None) -> Standing:
    """The support centres the person belongs to and the networks they coordinate."""
    if principal is None:
        return Standing()
    centres = session.exec(
        select(Organisation.id)
        .join(Membership, col(Membership.organisation_id) == Organisation.id)
        .where(Membership.user_id == principal.id, col(Organisation.support_centre).is_(True))
    ).all()
    networks = session.exec(select(NetworkCoordinator.network_id).where(NetworkCoordinator.user_id == principal.id))
    return Standing(frozenset(centres), frozenset(networks.all()))


def publisher_options(session: Session, standing: Standing) -> list[tuple[str, str]]:
    """In whose name a publisher may publish: their support centres and the networks they coordinate."""
    centres = session.exec(
        select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(standing.support_centre_ids))
    ).all()
    networks = session.exec(select(Network.id, Network.name).where(col(Network.id).in_(standing.network_ids))).all()
    options = [(f"organisation:{i}", name) for i, name in sorted(centres, key=lambda r: r[1])]
    return options + [(f"network:{i}", name) for i, name in sorted(networks, key=lambda r: r[1])]


@dataclass
class KnowledgeFilter:
    kind: str = ""
    field: str = ""
    topic: str = ""
    q: str = ""
    page: int = 1

    @property
    def params(self) -> dict[str, str]:
        values = {"kind": self.kind, "field": self.field, "topic": self.topic, "q": self.q}
        return {k: v for k, v in values.items() if v}


@dataclass
class Listed:
    item: KnowledgeItem
    publisher: str
    fields: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    photo: KnowledgeFile | None = None


def get_item(session: Session, slug: str) -> KnowledgeItem | None:
    return session.exec(select(KnowledgeItem).where(KnowledgeItem.slug == slug)).first()


def may_read(principal: Principal | None, item: KnowledgeItem, standing: Standing) -> bool:
    return item.state == "published" or permissions.can(principal, "knowledge.read", ItemAccess(item, standing))


def _listed(session: Session, items: list[KnowledgeItem]) -> list[Listed]:
    """The items with their publisher's name, fields, topics and first photo: four queries for the whole page."""
    ids = [item.id for item in items]
    fields = session.exec(select(KnowledgeField).where(col(KnowledgeField.item_id).in_(ids))).all()
    topics = session.exec(select(KnowledgeTopic).where(col(KnowledgeTopic.item_id).in_(ids))).all()
    photo_columns = (KnowledgeFile.id, KnowledgeFile.item_id, KnowledgeFile.filename, KnowledgeFile.alt_text)
    photos = session.exec(
        select(*photo_columns)
        .where(col(KnowledgeFile.item_id).in_(ids), KnowledgeFile.role == "photo")
        .order_by(col(KnowledgeFile.id))
    ).all()
    org_ids = {i.organisation_id for i in items if i.organisation_id}
    net_ids = {i.network_id for i in items if i.network_id}
    orgs = dict(session.exec(select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(org_ids))).all())
    nets = dict(session.exec(select(Network.id, Network.name).where(col(Network.id).in_(net_ids))).all())
    rows = {item.id: Listed(item, nets.get(item.network_id) or orgs.get(item.organisation_id) or "") for item in items}
    for f in sorted(fields, key=lambda f: f.field):
        rows[f.item_id].fields.append(f.field)
    for t in sorted(topics, key=lambda t: t.topic):
        rows[t.item_id].topics.append(t.topic)
    for file_id, item_id, filename, alt in photos:
        if rows[item_id].photo is None:
            rows[item_id].photo = KnowledgeFile(id=file_id, item_id=item_id, filename=filename, alt_text=alt)
    return list(rows.values())


def list_items(session: Session, f: KnowledgeFilter) -> tuple[list[Listed], int]:
    """Published items, newest first, narrowed by kind, field, topic and words."""
    statement = select(KnowledgeItem).where(KnowledgeItem.state == "published")
    if f.kind:
        statement = statement.where(KnowledgeItem.kind == f.kind)
    if f.field:
        statement = statement.where(
            col(KnowledgeItem.id).in_(select(KnowledgeField.item_id).where(KnowledgeField.field == f.field))
        )
    if f.topic:
        statement = statement.where(
            col(KnowledgeItem.id).in_(select(KnowledgeTopic.item_id).where(KnowledgeTopic.topic == f.topic.lower()))
        )
    if f.q:
        matched = search.matching(session, f.q, statement)
        if matched is None:
            return [], 0
        statement = matched
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    items = session.exec(
        statement.order_by(col(KnowledgeItem.published_at).desc(), col(KnowledgeItem.id).desc())
        .limit(PAGE_SIZE)
        .offset((max(f.page, 1) - 1) * PAGE_SIZE)
    ).all()
    return _listed(session, list(items)), total


def search_items(session: Session, query: str, limit: int = 5) -> tuple[list[Listed], int]:
    """Published items matching the site search's words, for the search page."""
    statement = search.matching(session, query, select(KnowledgeItem).where(KnowledgeItem.state == "published"))
    if statement is None:
        return [], 0
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    items = session.exec(statement.order_by(col(KnowledgeItem.published_at).desc()).limit(limit)).all()
    return _listed(session, list(items)), total


def known_topics(session: Session, limit: int = 40) -> list[str]:
    """The topics of published items, most used first, for the list's filter."""
    count = func.count().label("n")
    rows = session.exec(
        select(KnowledgeTopic.topic, count)
        .join(KnowledgeItem, col(KnowledgeItem.id) == KnowledgeTopic.item_id)
        .where(KnowledgeItem.state == "published")
        .group_by(col(KnowledgeTopic.topic))
        .order_by(count.desc(), col(KnowledgeTopic.topic))
        .limit(limit)
    ).all()
    return sorted(topic for topic, _n in rows)


def item_details(session: Session, item: KnowledgeItem) -> Listed:
    return _listed(session, [item])[0]


def files_of(session: Session, item: KnowledgeItem) -> list[KnowledgeFile]:
    """The item's files without their bytes."""
    columns = (
        KnowledgeFile.id,
        KnowledgeFile.role,
        KnowledgeFile.filename,
        KnowledgeFile.file_type,
        KnowledgeFile.size,
        KnowledgeFile.alt_text,
    )
    rows = session.exec(select(*columns).where(KnowledgeFile.item_id == item.id).order_by(col(KnowledgeFile.id)))
    return [
        KnowledgeFile(id=i, item_id=item.id, role=r, filename=n, file_type=t, size=s, alt_text=a)
        for i, r, n, t, s, a in rows.all()
    ]


def get_file(session: Session, file_id: int) -> KnowledgeFile | None:
    return session.get(KnowledgeFile, file_id)


def proposals_for(session: Session, principal: Principal, standing: Standing) -> list[Listed]:
    """A reviewer: every proposal awaiting review. Anyone else: their organisations' proposals, in any state."""
    if permissions.can(principal, "knowledge.review", standing):
        statement = select(KnowledgeItem).where(KnowledgeItem.state == "proposed")
    else:
        mine = col(KnowledgeItem.organisation_id).in_(list(principal.roles)) | (KnowledgeItem.author_id == principal.id)
        statement = select(KnowledgeItem).where(mine)
    items = session.exec(statement.order_by(col(KnowledgeItem.created_at).desc()).limit(200)).all()
    return _listed(session, list(items))


# --- actions --------------------------------------------------------------------------------


def photo_alt_error(photo: CheckedFile | None, alt: str) -> DomainError | None:
    """A photo needs its alternative text: what it shows, for those who cannot see it."""
    if photo is not None and not alt.strip():
        return DomainError("photo_alt", _("Describe what the photo shows: the alternative text is required."))
    return None


def _store(session: Session, principal: Principal, item: KnowledgeItem, data: KnowledgeInput, uploads: list[Upload]):
    item.folded = search.folded_text(item, data.fields, data.topics)
    session.add(item)
    session.flush()
    session.add_all(KnowledgeField(item_id=item.id, field=f) for f in data.fields)
    session.add_all(KnowledgeTopic(item_id=item.id, topic=t) for t in data.topics)
    for upload in uploads:
        if upload.role == "photo" and not upload.alt_text.strip():
            raise DomainError("photo_alt", _("Describe what the photo shows: the alternative text is required."))
        checked = upload.file
        session.add(
            KnowledgeFile(
                item_id=item.id,
                role=upload.role,
                filename=checked.filename,
                file_type=checked.file_type,
                size=len(checked.content),
                alt_text=upload.alt_text.strip()[:300],
                sha256=checked.sha256,
                content=checked.content,
            )
        )
    ledger.append(
        session,
        actor_id=principal.id,
        action=f"knowledge.{item.state}",
        subject_kind="knowledge_item",
        subject_id=item.id,
        payload={"kind": item.kind, "title": item.title, "files": [u.file.sha256 for u in uploads]},
    )


def _publisher(data: KnowledgeInput, standing: Standing, principal: Principal) -> tuple[int | None, int | None]:
    """(organisation id, network id) the item is published in the name of, from the form's choice."""
    kind, _sep, raw = data.publisher.partition(":")
    number = int(raw) if raw.isdigit() and len(raw) < 18 else None
    if kind == "organisation" and number in standing.support_centre_ids:
        return number, None
    if kind == "network" and number in standing.network_ids:
        return None, number
    if principal.is_admin and not standing.publishes and not data.publisher:
        return None, None
    raise DomainError("publisher", _("Choose in whose name you publish."))


def publish_item(
    session: Session, principal: Principal | None, standing: Standing, data: KnowledgeInput, uploads: list[Upload]
) -> KnowledgeItem:
    """A guide, good practice or report published at once by the support centre or a network's coordinator."""
    if principal is None or not permissions.can(principal, "knowledge.publish", standing):
        raise DomainError("", _("Only the support centre and network coordinators publish in the knowledge base."), 403)
    organisation_id, network_id = _publisher(data, standing, principal)
    now = utcnow()
    item = KnowledgeItem(
        slug=unique_slug(session, KnowledgeItem, data.title, fallback="poradnik", reserved=RESERVED_SLUGS),
        title=data.title,
        kind=data.kind,
        summary=data.summary,
        body=data.body,
        state="published",
        organisation_id=organisation_id,
        network_id=network_id,
        author_id=principal.id,
        published_at=now,
        created_at=now,
    )
    _store(session, principal, item, data, uploads)
    session.commit()
    return item


def propose_item(
    session: Session,
    principal: Principal | None,
    organisation: Organisation | None,
    data: KnowledgeInput,
    uploads: list[Upload],
) -> KnowledgeItem:
    """An organisation proposes a good practice; it waits for a reviewer."""
    if organisation is None:
        raise DomainError("publisher", _("Choose the organisation that proposes it."))
    if principal is None or not permissions.can(principal, "knowledge.propose", organisation):
        raise DomainError("publisher", _("You can propose a good practice only for an organisation you belong to."))
    item = KnowledgeItem(
        slug=unique_slug(session, KnowledgeItem, data.title, fallback="dobra-praktyka", reserved=RESERVED_SLUGS),
        title=data.title,
        kind="good_practice",
        summary=data.summary,
        body=data.body,
        state="proposed",
        organisation_id=organisation.id,
        author_id=principal.id,
    )
    _store(session, principal, item, data, uploads)
    session.commit()
    return item


class ReviewInput(BaseModel):
    decision: Literal["publish", "reject"]
    reason: str = Field(default="", max_length=2000)


def review_item(
    session: Session, principal: Principal | None, standing: Standing, item: KnowledgeItem, data: ReviewInput
) -> KnowledgeItem:
    """Publish a proposed good practice, or reject it saying why (the proposer sees the reason)."""
    if principal is None or not permissions.can(principal, "knowledge.review", standing):
        raise DomainError("", _("Only the support centre and network coordinators review proposals."), 403)
    if item.state != "proposed":
        raise DomainError("decision", _("This proposal has already been reviewed."), 409)
    if data.decision == "reject" and not data.reason.strip():
        raise DomainError("reason", _("Say why the proposal is rejected: the organisation will read it."))
    now = utcnow()
    item.reviewed_by_id, item.reviewed_at = principal.id, now
    if data.decision == "publish":
        item.state, item.published_at = "published", now
    else:
        item.state, item.rejection_reason = "rejected", data.reason.strip()
    session.add(item)
    ledger.append(
        session,
        actor_id=principal.id,
        action=f"knowledge.{item.state}",
        subject_kind="knowledge_item",
        subject_id=item.id,
        payload={"decision": data.decision},
    )
    session.commit()
    return item
