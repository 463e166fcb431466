"""Every table: the schema in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, Text, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_clock: ContextVar[datetime | None] = ContextVar("consult_clock", default=None)


def utcnow() -> datetime:
    """Now, in UTC: the one clock of the domain (rows' times, the ledger's, a consultation's status)."""
    return _clock.get() or datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Run the actions inside at another time: the demo replays last year's consultation on its own dates, so
    everything it stores and appends to the ledger carries them (tests use it too)."""
    token = _clock.set(moment)
    try:
        yield
    finally:
        _clock.reset(token)


ORGANISATION_KINDS = ("municipality", "ngo", "informal", "other")
ROLES = ("member", "admin", "official")
FIELDS_OF_ACTIVITY = (
    "culture",
    "sport",
    "social_services",
    "seniors",
    "disability",
    "education",
    "health",
    "environment",
    "youth",
    "safety",
    "tourism",
    "ngo_development",
)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=200)
    # Salt of the ledger's commitments to this person's data; erased together with the data.
    personal_salt: str = Field(max_length=64)
    is_admin: bool = False
    confirmed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    # Keyed moments: "login:<hash>" and "ip:<address>" (failed log-ins), "rate:<action>:<hash>" (consult.throttle),
    # "reset:<sha256 of a reset link's id>:<user id>" (an unused reset link).
    key: str = Field(max_length=100, index=True)
    at: datetime = Field(default_factory=utcnow)


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20, index=True)
    krs: str | None = Field(default=None, max_length=10, unique=True)
    area_served: str = Field(default="", max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    contact_email: str = Field(default="", max_length=254)
    contact_phone: str = Field(default="", max_length=40)
    website: str = Field(default="", max_length=300)
    verified_at: datetime | None = None
    verified_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    # A municipality's shortest consultation, as its council's consultation resolution sets it.
    min_consultation_days: int = Field(default=14, sa_column_kwargs={"server_default": "14"})
    # A municipality's public benefit council (RDPP), kept as an organisation whose members sit on it.
    benefit_council_id: int | None = Field(default=None, foreign_key="organisation.id", ondelete="SET NULL")
    # An NGO support centre: its members are advisors and may publish guides and announcements (set by the admin).
    support_centre: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(default_factory=utcnow)


class OrganisationField(SQLModel, table=True):
    __tablename__ = "organisation_field"
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, ondelete="CASCADE")
    field: str = Field(max_length=40, primary_key=True)


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: str = Field(default="member", max_length=20)
    # A member the organisation's admins designate to vote for it (admins always may).
    votes: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(default_factory=utcnow)


class Invitation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=254)
    role: str = Field(default="member", max_length=20)
    invited_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    accepted_at: datetime | None = None


class JoinRequest(SQLModel, table=True):
    __tablename__ = "join_request"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    message: str = Field(default="", max_length=1000)
    status: str = Field(default="pending", max_length=20)  # pending | approved | rejected
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class LedgerEvent(SQLModel, table=True):
    """An append-only, hash-chained record of every state change."""

    __tablename__ = "ledger_event"
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime
    actor_id: int | None = None  # no foreign key: the ledger outlives the rows it names
    action: str = Field(max_length=60)
    subject_kind: str = Field(max_length=40)
    subject_id: str = Field(max_length=60)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    # Extra headers as a JSON object (List-Unsubscribe, List-Unsubscribe-Post), "" when none.
    headers: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Claimed by one sender (consult.mail): its batch's token and when; a claim older than mail.STALE is free again.
    claim_token: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    claimed_at: datetime | None = None
    next_attempt_at: datetime | None = None  # after a failure, with a doubling delay; None: due at once
    failed_at: datetime | None = Field(default=None, index=True)  # given up after mail.MAX_ATTEMPTS; admin may retry


PARTICIPATION = ("verified_organisations", "signed_in")
COMMENT_STATES = ("visible", "withdrawn", "hidden")


class Consultation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)  # the municipality that consults
    slug: str = Field(max_length=120, unique=True)
    title: str = Field(max_length=300)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    responsible_unit: str = Field(max_length=200)
    contact_person: str = Field(max_length=200)
    participation: str = Field(default="verified_organisations", max_length=30)
    opens_at: datetime
    closes_at: datetime
    short_window_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None  # None: a draft only its municipality's officials see
    # Cancelled by the municipality after publishing: closed to contributions, shown with its reason.
    cancelled_at: datetime | None = None
    cancel_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


CHANGE_KINDS = ("corrected", "rescheduled", "extended", "cancelled")


class ConsultationChange(SQLModel, table=True):
    """A change to a published consultation (its details, dates or cancellation), shown publicly with its reason."""

    __tablename__ = "consultation_change"
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)  # corrected | rescheduled | extended | cancelled
    # JSON [[field, old, new], ...] of what changed
    changes: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    changed_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class PendingUpload(SQLModel, table=True):
    """A Word file uploaded with a form that failed, kept (for a day) so the official need not choose it again."""

    __tablename__ = "pending_upload"
    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    filename: str = Field(max_length=255)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class DocumentVersion(SQLModel, table=True):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    # None for a working group's document (GroupDocument points at its version)
    consultation_id: int | None = Field(default=None, foreign_key="consultation.id", index=True, ondelete="CASCADE")
    number: int = 1
    title: str = Field(default="", max_length=500)
    preamble: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    source: str = Field(default="markdown", max_length=20)  # markdown | docx
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # what changed
    # JSON list of what the importer could not structure ([code, params, paragraph key, label]), for the preview
    import_notes: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class Section(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="document_version.id", index=True, ondelete="CASCADE")
    position: int
    label: str = Field(max_length=40)
    title: str = Field(default="", max_length=300)
    # "Rozdział 2. Cele programu": the chapter that groups this section in the table of contents
    chapter: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})


class Paragraph(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("version_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="document_version.id", index=True, ondelete="CASCADE")
    section_id: int = Field(foreign_key="section.id", index=True, ondelete="CASCADE")
    position: int
    key: str = Field(max_length=20)  # stable across versions: the anchor and the thread's owner
    label: str = Field(max_length=60)
    depth: int = 0
    text: str = Field(sa_column=Column(Text, nullable=False))


# The kinds of thread a consultation's document owns (its general discussion, its paragraphs); a proposal's
# discussion also carries the consultation's id, so every query for the document's threads filters on these.
DOCUMENT_THREADS = ("consultation", "paragraph")


class Thread(SQLModel, table=True):
    """What comments hang on: a consultation's general discussion, one paragraph, later a proposal or a group."""

    __table_args__ = (UniqueConstraint("owner_kind", "owner_id"),)
    id: int | None = Field(default=None, primary_key=True)
    owner_kind: str = Field(max_length=30)  # consultation | paragraph
    owner_id: str = Field(max_length=60)  # "12" or "12:<paragraph key>"
    consultation_id: int | None = Field(default=None, foreign_key="consultation.id", index=True, ondelete="CASCADE")


class Comment(SQLModel, table=True):
    # Counting a consultation's visible comments by thread reads this index alone.
    __table_args__ = (Index("ix_comment_thread_id_status", "thread_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="thread.id", index=True, ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    root_id: int | None = Field(default=None, index=True)  # the thread's first comment; itself for a root
    depth: int = 0
    author_id: int = Field(foreign_key="user.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # sanitised once
    current_wording: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    proposed_wording: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    justification: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default="visible", max_length=20)
    moderation_reason: str = Field(default="", max_length=500)
    moderated_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    moderated_at: datetime | None = None
    revision: int = 1
    reply_count: int = 0  # all descendants, for "more replies"
    channel: str = Field(default="platform", max_length=20, sa_column_kwargs={"server_default": "platform"})
    received_at: datetime | None = None  # for an entry received on paper, by e-mail or at a meeting
    # An entry from a person or group without an account: the name is shown as the author, the address never.
    sender_name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    sender_address: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    sender_salt: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})  # of its commitment
    created_at: datetime = Field(default_factory=utcnow, index=True)
    edited_at: datetime | None = None


class CommentRevision(SQLModel, table=True):
    """A comment's earlier wording, kept when its author edits it."""

    __tablename__ = "comment_revision"
    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True, ondelete="CASCADE")
    revision: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    current_wording: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    proposed_wording: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    justification: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime


class CommentFlag(SQLModel, table=True):
    __tablename__ = "comment_flag"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


# --- proposals, votes, co-signatures, answers, versions' notes, the public benefit council's opinion ---------

CHANNELS = ("platform", "paper", "email", "meeting")  # how a contribution reached the municipality
VOTE_CHOICES = ("for", "against", "abstain")
POSITIONS = ("accepted", "partly_accepted", "rejected", "explained")
PROPOSAL_STATES = ("visible", "withdrawn", "hidden")


class Proposal(SQLModel, table=True):
    """A participant's proposal in a consultation, voted on by organisations; its discussion is a thread."""

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="user.id", index=True)  # the official who entered it, for outside entries
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    title: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    paragraph_key: str | None = Field(default=None, max_length=20)  # optional link to a paragraph
    category: str = Field(default="", max_length=200)  # e.g. a priority public task
    status: str = Field(default="visible", max_length=20)
    moderation_reason: str = Field(default="", max_length=500)
    channel: str = Field(default="platform", max_length=20, sa_column_kwargs={"server_default": "platform"})
    received_at: datetime | None = None  # for an entry received on paper, by e-mail or at a meeting
    created_at: datetime = Field(default_factory=utcnow, index=True)
    withdrawn_at: datetime | None = None


class Vote(SQLModel, table=True):
    """One organisation's vote on one proposal: the unique constraint, not only the code, keeps it one."""

    __table_args__ = (UniqueConstraint("proposal_id", "organisation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    choice: str = Field(max_length=10)
    cast_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CoSignature(SQLModel, table=True):
    """An organisation joining a comment or a proposal: a coalition speaks once, the record counts each co-signer."""

    __tablename__ = "co_signature"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id", "organisation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=20)  # comment | proposal
    subject_id: int = Field(index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    signed_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Answer(SQLModel, table=True):
    """The municipality's position on one or more contributions that say the same."""

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True, ondelete="CASCADE")
    position: str = Field(max_length=20)
    justification: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    answered_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AnswerLink(SQLModel, table=True):
    """Which contribution an answer covers: each contribution has at most one answer."""

    __tablename__ = "answer_link"
    __table_args__ = (UniqueConstraint("contribution_kind", "contribution_id"),)
    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True, ondelete="CASCADE")
    consultation_id: int = Field(foreign_key="consultation.id", index=True, ondelete="CASCADE")
    contribution_kind: str = Field(max_length=20)  # comment | proposal
    contribution_id: int


class CouncilOpinion(SQLModel, table=True):
    """The public benefit council's (RDPP) opinion on a consultation's draft, due within 14 days of the request."""

    __tablename__ = "council_opinion"
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", unique=True, ondelete="CASCADE")
    council_id: int = Field(foreign_key="organisation.id")
    requested_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    requested_at: datetime = Field(default_factory=utcnow)
    due_at: datetime
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    submitted_at: datetime | None = None


class Record(SQLModel, table=True):
    """A consultation's published record: its snapshot and files are RecordFile rows; its hash and ledger head stay."""

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", unique=True, ondelete="CASCADE")
    published_at: datetime = Field(default_factory=utcnow)
    published_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    conclusion: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    sha256: str = Field(max_length=64)  # of the canonical JSON of everything else in the record
    ledger_seq: int | None = None  # the ledger head when the record was published
    ledger_hash: str = Field(default="", max_length=64)


class RecordFile(SQLModel, table=True):
    """A published record's stored bytes: the canonical JSON snapshot taken at publication, and what the worker
    rendered from it (the PDF). Every format is made from the snapshot, never from live tables."""

    __tablename__ = "record_file"
    __table_args__ = (UniqueConstraint("record_id", "format"),)
    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="record.id", ondelete="CASCADE")
    format: str = Field(max_length=10)  # json (the snapshot, without its sha256 key) | pdf
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


JOB_STATES = ("queued", "running", "done", "failed")


class Job(SQLModel, table=True):
    """Heavy work for the worker (`python -m consult worker`), queued once per kind and subject."""

    __table_args__ = (UniqueConstraint("kind", "subject"), Index("ix_job_status_run_after", "status", "run_after"))
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # record.pdf
    subject: str = Field(max_length=60)  # what it works on, e.g. the record's id
    status: str = Field(default="queued", max_length=10)  # queued | running | done | failed
    attempts: int = 0
    run_after: datetime = Field(default_factory=utcnow)
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class SearchEntry(SQLModel, table=True):
    """One searchable text (a consultation, a paragraph, a comment, a proposal), kept by consult.search."""

    __tablename__ = "search_entry"
    __table_args__ = (UniqueConstraint("kind", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # consultation | paragraph | comment | proposal
    ref: str = Field(max_length=60)  # the id, or "<consultation id>:<paragraph key>"
    consultation_id: int = Field(foreign_key="consultation.id", index=True, ondelete="CASCADE")
    title: str = Field(default="", max_length=300)
    text: str = Field(sa_column=Column(Text, nullable=False))
    folded: str = Field(sa_column=Column(Text, nullable=False))  # lower case, without diacritics, for matching


# --- The forum: networks, working groups, meetings, rooms and equipment lent between organisations ---------------

NETWORK_MEMBERSHIP_STATES = ("pending", "admitted", "declined", "left")


class Network(SQLModel, table=True):
    """A network of organisations across several municipalities, with a charter and coordinators."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    name: str = Field(max_length=200)
    charter: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # Markdown
    charter_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class NetworkMunicipality(SQLModel, table=True):
    """A municipality the network spans."""

    __tablename__ = "network_municipality"
    network_id: int = Field(foreign_key="network.id", primary_key=True, ondelete="CASCADE")
    municipality_id: int = Field(foreign_key="organisation.id", primary_key=True, ondelete="CASCADE")


class NetworkCoordinator(SQLModel, table=True):
    """A person who coordinates the network: admits members, runs its meetings."""

    __tablename__ = "network_coordinator"
    network_id: int = Field(foreign_key="network.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")


class NetworkMembership(SQLModel, table=True):
    """An organisation's application to a network and its outcome; one row per network and organisation."""

    __tablename__ = "network_membership"
    __table_args__ = (UniqueConstraint("network_id", "organisation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    status: str = Field(default="pending", max_length=20)  # pending | admitted | declined | left
    message: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    applied_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    applied_at: datetime = Field(default_factory=utcnow)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    decided_at: datetime | None = None
    decision_note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    decision_meeting_id: int | None = Field(default=None, foreign_key="meeting.id", ondelete="SET NULL")


DECLARATION_STATES = ("pending", "accepted", "declined", "withdrawn")


class WorkingGroup(SQLModel, table=True):
    """A working group formed from join declarations sent by a deadline."""

    __tablename__ = "working_group"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    name: str = Field(max_length=200)
    goal: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # Markdown
    goal_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    organisation_id: int = Field(foreign_key="organisation.id", index=True)  # who runs it (a municipality, an NGO)
    network_id: int | None = Field(default=None, foreign_key="network.id", index=True, ondelete="SET NULL")
    coordinator_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    declarations_close_at: datetime
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class GroupDeclaration(SQLModel, table=True):
    """A declaration to join a working group: an organisation with its representative, or an individual.
    At most one live (pending or accepted) declaration per group and organisation, and per group and person
    declaring as an individual, held by partial unique indexes."""

    __tablename__ = "group_declaration"
    __table_args__ = (
        Index(
            "uq_group_declaration_live_organisation",
            "group_id",
            "organisation_id",
            unique=True,
            sqlite_where=text("status IN ('pending', 'accepted') AND organisation_id IS NOT NULL"),
            postgresql_where=text("status IN ('pending', 'accepted') AND organisation_id IS NOT NULL"),
        ),
        Index(
            "uq_group_declaration_live_person",
            "group_id",
            "user_id",
            unique=True,
            sqlite_where=text("status IN ('pending', 'accepted') AND organisation_id IS NULL"),
            postgresql_where=text("status IN ('pending', 'accepted') AND organisation_id IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_group.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)  # organisation | individual
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="SET NULL")  # who sent it
    name: str = Field(max_length=200)  # the representative's or the individual's name
    contact: str = Field(max_length=254)  # e-mail or phone
    motivation: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    contribution: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # can bring
    status: str = Field(default="pending", max_length=20)  # pending | accepted | declined | withdrawn
    decided_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    decided_at: datetime | None = None
    decision_note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow)


class GroupDocument(SQLModel, table=True):
    """A working group's document (a road map) built with the document engine: its text lives in a
    DocumentVersion without a consultation, and members comment on it paragraph by paragraph."""

    __tablename__ = "group_document"
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="working_group.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=300)
    version_id: int | None = Field(default=None, foreign_key="document_version.id", ondelete="SET NULL")
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


RESOURCE_KINDS = ("room", "equipment")
BOOKING_STATES = ("requested", "accepted", "declined", "cancelled")


class Resource(SQLModel, table=True):
    """A room or a piece of equipment an organisation lends to others."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)  # room | equipment
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    address: str = Field(default="", max_length=300)
    capacity: int | None = None  # people, for a room
    step_free: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    hearing_loop: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    equipment: str = Field(default="", max_length=500)  # what a room has: projector, tables, a kitchen
    active: bool = True
    lock_version: int = 0  # bumped to take the row's lock before a booking is checked for overlap
    created_at: datetime = Field(default_factory=utcnow)


class Booking(SQLModel, table=True):
    """A request to use a resource for a time, and the owner's decision."""

    __table_args__ = (
        Index("ix_booking_resource_time", "resource_id", "starts_at", "ends_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("head_count IS NULL OR head_count > 0", name="head_count_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(foreign_key="resource.id", ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")  # who borrows
    requested_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    starts_at: datetime
    ends_at: datetime
    head_count: int | None = None  # people, for a room (never above its capacity when requested)
    purpose: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default="requested", max_length=20)  # requested | accepted | declined | cancelled
    decided_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    decided_at: datetime | None = None
    decision_note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Declined automatically because this other, overlapping request was accepted.
    superseded_by_id: int | None = Field(default=None, foreign_key="booking.id", ondelete="SET NULL")
    cancelled_at: datetime | None = None
    cancelled_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    # Which side cancelled: the borrowing organisation or the owner.
    cancelled_by_organisation_id: int | None = Field(default=None, foreign_key="organisation.id", ondelete="SET NULL")
    cancel_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow)


MEETING_KINDS = ("meeting", "quarterly", "forum", "training", "congress")
MEETING_AUDIENCES = ("everyone", "municipality", "network", "group")
REGISTRATION_STATES = ("confirmed", "waitlisted", "cancelled")


class Meeting(SQLModel, table=True):
    """A meeting, training, forum or congress, with registration held within its capacity by the database:
    `seats_taken` only grows through a conditional UPDATE, and a CHECK keeps it within `capacity`."""

    __table_args__ = (
        CheckConstraint("capacity IS NULL OR seats_taken <= capacity", name="within_capacity"),
        Index("ix_meeting_starts_at", "starts_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    title: str = Field(max_length=300)
    kind: str = Field(default="meeting", max_length=20)  # meeting | quarterly | forum | training | congress
    agenda: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # Markdown
    agenda_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    organisation_id: int = Field(foreign_key="organisation.id", index=True)  # the organiser
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    starts_at: datetime
    ends_at: datetime
    venue_address: str = Field(default="", max_length=300)
    booking_id: int | None = Field(default=None, foreign_key="booking.id", ondelete="SET NULL")  # a lent room
    online_url: str = Field(default="", max_length=500)
    capacity: int | None = None  # None: no limit
    seats_taken: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    registration_closes_at: datetime | None = None
    audience: str = Field(default="everyone", max_length=20)  # everyone | municipality | network | group
    municipality_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    network_id: int | None = Field(default=None, foreign_key="network.id", index=True, ondelete="SET NULL")
    group_id: int | None = Field(default=None, foreign_key="working_group.id", index=True, ondelete="SET NULL")
    published_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    minutes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # Markdown
    minutes_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    minutes_published_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class MeetingBreakout(SQLModel, table=True):
    """A breakout group of a meeting (a congress's thematic discussion group), with its own capacity."""

    __tablename__ = "meeting_breakout"
    __table_args__ = (CheckConstraint("capacity IS NULL OR seats_taken <= capacity", name="within_capacity"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    position: int = 0
    name: str = Field(max_length=200)
    capacity: int | None = None
    seats_taken: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Registration(SQLModel, table=True):
    """An organisation's (or a person's) registration for a meeting: a head count and the participants' names.
    At most one live registration per meeting and organisation (or person), held by partial unique indexes."""

    __table_args__ = (
        Index(
            "uq_registration_live_organisation",
            "meeting_id",
            "organisation_id",
            unique=True,
            sqlite_where=text("status != 'cancelled' AND organisation_id IS NOT NULL"),
            postgresql_where=text("status != 'cancelled' AND organisation_id IS NOT NULL"),
        ),
        Index(
            "uq_registration_live_person",
            "meeting_id",
            "registered_by_id",
            unique=True,
            sqlite_where=text("status != 'cancelled' AND organisation_id IS NULL"),
            postgresql_where=text("status != 'cancelled' AND organisation_id IS NULL"),
        ),
        Index("ix_registration_meeting_status", "meeting_id", "status", "queued_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True, ondelete="CASCADE")
    registered_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    head_count: int = 1
    participants: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # one a line
    breakout_id: int | None = Field(default=None, foreign_key="meeting_breakout.id", ondelete="SET NULL")
    accessibility_needs: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    catering_needs: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default="confirmed", max_length=20)  # confirmed | waitlisted | cancelled
    queued_at: datetime = Field(default_factory=utcnow)  # the waiting list's order
    created_at: datetime = Field(default_factory=utcnow)
    promoted_at: datetime | None = None
    cancelled_at: datetime | None = None
    attended: int | None = None  # how many came, entered after the meeting


class MinutesPoint(SQLModel, table=True):
    """A point from a meeting's minutes, entered as a contribution to an open consultation (meeting channel)."""

    __tablename__ = "minutes_point"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    consultation_id: int = Field(foreign_key="consultation.id", index=True, ondelete="CASCADE")
    comment_id: int | None = Field(default=None, foreign_key="comment.id", ondelete="SET NULL")
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id", ondelete="SET NULL")
    entered_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


# ---- announcements and funding opportunities (issue 12) ----

ANNOUNCEMENT_CATEGORIES = ("funding", "training", "event", "general")
ANNOUNCEMENT_AUDIENCES = ("everyone", "municipality", "network", "group")


class Announcement(SQLModel, table=True):
    """An announcement posted to an audience: everyone, a municipality's organisations (audience_id: the
    municipality's organisation), a network's members (the network) or a working group (the group). A funding
    opportunity (category "funding") also has a funder, an optional amount or range in whole złoty and a deadline,
    the last day applications are accepted."""

    __table_args__ = (
        CheckConstraint(
            "category IN ('funding', 'training', 'event', 'general')",
            name="category_known",
        ),
        CheckConstraint(
            "audience_kind IN ('everyone', 'municipality', 'network', 'group')",
            name="audience_known",
        ),
        CheckConstraint(
            "(audience_kind = 'everyone' AND audience_id IS NULL)"
            " OR (audience_kind != 'everyone' AND audience_id IS NOT NULL)",
            name="audience_id_matches_kind",
        ),
        CheckConstraint("category != 'funding' OR deadline IS NOT NULL", name="funding_has_deadline"),
        CheckConstraint("amount_min IS NULL OR amount_min >= 0", name="amount_min_not_negative"),
        CheckConstraint(
            "amount_min IS NULL OR amount_max IS NULL OR amount_min <= amount_max", name="amount_range_ordered"
        ),
        Index("ix_announcement_audience", "audience_kind", "audience_id"),
        Index("ix_announcement_category_deadline", "category", "deadline"),
    )
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    title: str = Field(max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # Markdown
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    category: str = Field(default="general", max_length=20)  # funding | training | event | general
    audience_kind: str = Field(default="everyone", max_length=20)  # everyone | municipality | network | group
    audience_id: int | None = None  # the municipality's organisation, the network or the working group
    # Who posts: the municipality, the network's coordinating organisation (or None), the support centre.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True, ondelete="SET NULL")
    author_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="SET NULL")
    # A funding opportunity: who funds it, the amount (or range) in whole złoty, its last day, a link to the call.
    funder: str = Field(default="", max_length=200)
    amount_min: int | None = None
    amount_max: int | None = None
    deadline: date | None = None
    link: str = Field(default="", max_length=500)
    published_at: datetime | None = Field(default=None, index=True)
    updated_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class AnnouncementField(SQLModel, table=True):
    """A field of activity (models.FIELDS_OF_ACTIVITY) a funding opportunity (or any announcement) concerns."""

    __tablename__ = "announcement_field"
    announcement_id: int = Field(foreign_key="announcement.id", primary_key=True, ondelete="CASCADE")
    field: str = Field(max_length=40, primary_key=True, index=True)


# ---- notification settings and digests (issue 12) ----

NOTIFICATION_MODES = ("immediate", "digest", "never")


class NotificationSetting(SQLModel, table=True):
    """A person's choice for one kind of notification (notifications.dispatch.KINDS); no row: the kind's default."""

    __tablename__ = "notification_setting"
    __table_args__ = (CheckConstraint("mode IN ('immediate', 'digest', 'never')", name="mode_known"),)
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(max_length=40, primary_key=True)
    mode: str = Field(max_length=20)
    updated_at: datetime = Field(default_factory=utcnow)


class NotificationSent(SQLModel, table=True):
    """A scheduled notification (a meeting reminder, a funding deadline) claimed for one person before it is sent:
    the unique key lets it go once, however many workers run."""

    __tablename__ = "notification_sent"
    __table_args__ = (UniqueConstraint("user_id", "kind", "subject_key"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    kind: str = Field(max_length=40)
    subject_key: str = Field(max_length=80)  # "meeting:12", "announcement:7"
    created_at: datetime = Field(default_factory=utcnow)


class NotificationDigest(SQLModel, table=True):
    """One weekly digest per person and ISO week ("2026-W49"), claimed by its unique key before the mail is queued."""

    __tablename__ = "notification_digest"
    __table_args__ = (UniqueConstraint("user_id", "week"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    week: str = Field(max_length=10)
    item_count: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class NotificationItem(SQLModel, table=True):
    """A notification waiting for its person's weekly digest (digest_id None) or sent in one."""

    __tablename__ = "notification_item"
    __table_args__ = (Index("ix_notification_item_user_digest", "user_id", "digest_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    kind: str = Field(max_length=40)
    subject: str = Field(max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    link: str = Field(default="", max_length=1000)
    digest_id: int | None = Field(default=None, foreign_key="notification_digest.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


# ---- knowledge base: guides, good practices, attachments (issue 12) ----
KNOWLEDGE_KINDS = ("guide", "good_practice", "initiative_report")
KNOWLEDGE_STATES = ("proposed", "published", "rejected")


class KnowledgeItem(SQLModel, table=True):
    """A guide, good practice or report of a local initiative. The support centre's members and network coordinators
    publish directly; an organisation proposes a good practice (state "proposed"), which a reviewer publishes or
    rejects with a reason. `folded` is the searchable text (search.actions.fold), indexed by consult.knowledge."""

    __tablename__ = "knowledge_item"
    __table_args__ = (
        CheckConstraint("kind IN ('guide', 'good_practice', 'initiative_report')", name="kind_known"),
        CheckConstraint("state IN ('proposed', 'published', 'rejected')", name="state_known"),
        CheckConstraint("state != 'rejected' OR rejection_reason != ''", name="rejection_has_reason"),
        CheckConstraint("state != 'published' OR published_at IS NOT NULL", name="published_has_date"),
        Index("ix_knowledge_item_state_published_at", "state", "published_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=20)  # guide | good_practice | initiative_report
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # Markdown
    state: str = Field(default="published", max_length=20)  # proposed | published | rejected
    # Who speaks: the support centre (or the proposing organisation), or the network whose coordinator published it.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True, ondelete="SET NULL")
    network_id: int | None = Field(default=None, foreign_key="network.id", index=True, ondelete="SET NULL")
    author_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="SET NULL")
    reviewed_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    reviewed_at: datetime | None = None
    rejection_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    published_at: datetime | None = None
    folded: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow)


class KnowledgeField(SQLModel, table=True):
    """A field of activity (FIELDS_OF_ACTIVITY) an item concerns."""

    __tablename__ = "knowledge_field"
    item_id: int = Field(foreign_key="knowledge_item.id", primary_key=True, ondelete="CASCADE")
    field: str = Field(max_length=40, primary_key=True, index=True)


class KnowledgeTopic(SQLModel, table=True):
    """A free topic an item is tagged with, in lower case ("dotacje", "rodo")."""

    __tablename__ = "knowledge_topic"
    item_id: int = Field(foreign_key="knowledge_item.id", primary_key=True, ondelete="CASCADE")
    topic: str = Field(max_length=40, primary_key=True, index=True)


class KnowledgeFile(SQLModel, table=True):
    """An attachment (PDF, DOCX, ODT, JPEG, PNG) or a photo (JPEG, PNG, with its alternative text) of an item, its
    type checked on its content; stored in the database like PendingUpload and RecordFile."""

    __tablename__ = "knowledge_file"
    __table_args__ = (
        CheckConstraint("role IN ('attachment', 'photo')", name="role_known"),
        CheckConstraint("role != 'photo' OR alt_text != ''", name="photo_has_alt_text"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="knowledge_item.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)  # attachment | photo
    filename: str = Field(max_length=255)
    file_type: str = Field(max_length=10)  # pdf | docx | odt | jpeg | png, as the content showed
    size: int
    alt_text: str = Field(default="", max_length=300)
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# ---- advice from the support centre (issue 12) ----
ADVICE_TOPICS = ("legal", "finance", "fundraising", "partnerships", "promotion", "volunteering")
ADVICE_MODES = ("online", "on_site")
ADVICE_STATES = ("new", "taken", "answered", "closed")


class AdviceRequest(SQLModel, table=True):
    """An organisation's request for advice from a support centre (an organisation with `support_centre`): one of
    the centre's advisors takes it (a conditional UPDATE on status 'new', so two at once cannot both win), answers
    in a thread only the two sides read, and closes it; the requester rates it once, after closing."""

    __tablename__ = "advice_request"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        CheckConstraint("status IN ('new', 'taken', 'answered', 'closed')", name="status_known"),
        Index("ix_advice_request_centre_status", "centre_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="organisation.id", ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")  # who asks
    requested_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    # The municipality the matter concerns (optional), so a municipality's yearly report can count its requests.
    municipality_id: int | None = Field(default=None, foreign_key="organisation.id", index=True, ondelete="SET NULL")
    topic: str = Field(max_length=20)  # ADVICE_TOPICS
    mode: str = Field(default="online", max_length=20)  # online | on_site
    preferred_time: str = Field(default="", max_length=200)  # free text: "Tuesdays after 16:00"
    description: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="new", max_length=20)  # new | taken | answered | closed
    advisor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    taken_at: datetime | None = None
    first_answered_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    rating: int | None = None
    rating_comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    rated_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)


class AdviceMessage(SQLModel, table=True):
    """One message of an advice request's private thread, by an advisor or by the requesting organisation."""

    __tablename__ = "advice_message"
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="advice_request.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    side: str = Field(max_length=20)  # advisor | requester
    body: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow)


# ---- surveys (issue 13) ----

SURVEY_AUDIENCES = ("organisations", "people", "link")
SURVEY_QUESTION_KINDS = ("section", "single", "multiple", "scale", "short_text", "long_text", "ranking")
SURVEY_TEXT_STATES = ("pending", "shown", "hidden")


class Survey(SQLModel, table=True):
    """A questionnaire of a municipality, a support centre or a network, answered within its window."""

    __table_args__ = (CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    title: str = Field(max_length=300)
    intro: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The organisation that runs it (a municipality, a support centre); None for a network's survey.
    owner_organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    network_id: int | None = Field(default=None, foreign_key="network.id", index=True, ondelete="CASCADE")
    template: str = Field(default="", max_length=40)  # the ready template it started from, or ""
    audience: str = Field(default="organisations", max_length=20)  # organisations | people | link
    anonymous: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    opens_at: datetime
    closes_at: datetime
    published_at: datetime | None = None  # None: a draft its owner is still building
    results_public_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class SurveyQuestion(SQLModel, table=True):
    """A question (or a section heading) of a survey; `options` holds a choice list or a ranking, one a line."""

    __tablename__ = "survey_question"
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    position: int = 0
    kind: str = Field(max_length=20)  # section | single | multiple | scale | short_text | long_text | ranking
    text: str = Field(sa_column=Column(Text, nullable=False))
    help: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    options: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    required: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class SurveyResponse(SQLModel, table=True):
    """One answer to a survey. Its id is random and the table has no rowid on SQLite, so neither the id nor the
    order rows are stored in follows the order answers came in. An anonymous survey's response carries no
    organisation, no person and only the day."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("survey_id", "organisation_id", name="uq_survey_response_survey_organisation"),
        UniqueConstraint("survey_id", "user_id", name="uq_survey_response_survey_user"),
        {"sqlite_with_rowid": False},
    )
    id: str = Field(primary_key=True, max_length=32)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    submitted_on: date  # the day only


class SurveyAnswer(SQLModel, table=True):
    """One response's answer to one question: a chosen option (its number from 1), a scale value, a rank, a text.
    Option 0 holds a text answer, or marks that a multiple-choice question was answered (so counting who answered it
    needs no DISTINCT)."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        # The results read these indexes alone (on SQLite a row of a table without rowid is a lookup by its key).
        Index("ix_survey_answer_tally", "survey_id", "question_id", "option", "rank"),
        Index("ix_survey_answer_texts", "survey_id", "option", "question_id"),
        {"sqlite_with_rowid": False},
    )
    response_id: str = Field(foreign_key="survey_response.id", primary_key=True, max_length=32, ondelete="CASCADE")
    question_id: int = Field(foreign_key="survey_question.id", primary_key=True, ondelete="CASCADE")
    option: int = Field(default=0, primary_key=True, sa_column_kwargs={"autoincrement": False})
    survey_id: int = Field(foreign_key="survey.id", ondelete="CASCADE")  # to count without a join
    rank: int | None = None  # for a ranking: the place the option was given
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    moderation: str = Field(default="pending", max_length=10)  # a text answer: pending | shown | hidden


class SurveyTally(SQLModel, table=True):
    """Each (question, option)'s running count, kept in the answer's transaction, so the results read a few rows
    whatever the number of answers: how many chose it, the sum of the places it was given, how often it came first.
    Rows are made when the survey opens; an answer updates them in key order (no two answers wait on each other
    in a cycle)."""

    __tablename__ = "survey_tally"
    survey_id: int = Field(foreign_key="survey.id", primary_key=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="survey_question.id", primary_key=True, ondelete="CASCADE")
    option: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    rank_sum: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    firsts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class SurveyRespondent(SQLModel, table=True):
    """Who has answered (an organisation or a person), kept apart from the answer: the primary key is the one-answer
    rule. No id, no time, no link to the response; on SQLite no rowid, so the rows lie in key order."""

    __tablename__ = "survey_respondent"
    __table_args__ = ({"sqlite_with_rowid": False},)
    survey_id: int = Field(foreign_key="survey.id", primary_key=True, ondelete="CASCADE")
    respondent: str = Field(primary_key=True, max_length=40)  # "organisation:<id>" | "user:<id>"


# ---- commitments: what became of accepted contributions (issue 13) ----

COMMITMENT_STATUSES = ("planned", "in_force", "done", "dropped")
OPEN_COMMITMENT_STATUSES = ("planned", "in_force")  # still to be carried out or followed


class Commitment(SQLModel, table=True):
    """What the municipality owes for one accepted (or partly accepted) contribution, made when the record is
    published: the text it changed, who is responsible, a status with its date. One per contribution."""

    __table_args__ = (
        UniqueConstraint("contribution_kind", "contribution_id"),
        CheckConstraint("status IN ('planned', 'in_force', 'done', 'dropped')", name="status_known"),
        CheckConstraint("status != 'dropped' OR reason != ''", name="dropped_has_reason"),
    )
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultation.id", index=True, ondelete="CASCADE")
    municipality_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    contribution_kind: str = Field(max_length=20)  # comment | proposal
    contribution_id: int
    position: str = Field(max_length=20)  # accepted | partly_accepted, as in the published record
    paragraph_key: str | None = Field(default=None, max_length=20)  # None: the whole document
    paragraph_label: str = Field(default="", max_length=60, sa_column_kwargs={"server_default": ""})
    organisation_name: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    wording: str = Field(sa_column=Column(Text, nullable=False))  # the proposed wording, or what was asked
    responsible: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    status: str = Field(default="planned", max_length=20)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # why dropped
    due_on: date | None = None
    status_changed_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)


class CommitmentChange(SQLModel, table=True):
    """One change of a commitment by an official: from which status to which, with the reason, who and when."""

    __tablename__ = "commitment_change"
    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    responsible: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    due_on: date | None = None
    changed_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    changed_at: datetime = Field(default_factory=utcnow)


# ---- the yearly implementation report (issue 13) ----

REPORT_STATES = ("draft", "reviewed", "published")


class ImplementationReport(SQLModel, table=True):
    """A municipality's yearly report on its cooperation programme (art. 5a ust. 3): one per municipality and year.
    A draft reads the platform's figures live; publication stores its snapshot (ReportFile "json") and freezes it."""

    __tablename__ = "implementation_report"
    __table_args__ = (
        UniqueConstraint("municipality_id", "year"),
        CheckConstraint("status IN ('draft', 'reviewed', 'published')", name="status_known"),
        CheckConstraint("year BETWEEN 2000 AND 2999", name="year_sensible"),
    )
    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    year: int
    status: str = Field(default="draft", max_length=20)  # draft | reviewed | published
    # The consultation of the year's programme, where its priority tasks and indicators were read from (if any).
    programme_id: int | None = Field(default=None, foreign_key="consultation.id", ondelete="SET NULL")
    priority_tasks: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # one a line
    indicators: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # one a line
    # The figures the platform cannot know, as canonical JSON (amounts in grosze); see consult/reports/entered.py.
    entered: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    conclusions: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    reviewed_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    reviewed_at: datetime | None = None
    published_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    published_at: datetime | None = None
    sha256: str = Field(default="", max_length=64)  # of the stored snapshot, once published
    ledger_seq: int | None = None  # the ledger head when the report was published
    ledger_hash: str = Field(default="", max_length=64)


class ReportFile(SQLModel, table=True):
    """A published report's stored bytes: its canonical JSON snapshot, and the PDF the worker rendered from it."""

    __tablename__ = "report_file"
    __table_args__ = (UniqueConstraint("report_id", "format"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="implementation_report.id", ondelete="CASCADE")
    format: str = Field(max_length=10)  # json | pdf
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


# The search index follows these tables through a flush listener and adds its own DDL beside search_entry:
# registered here, at the end, so that any code using the models keeps the index.
import consult.search.actions  # noqa: E402, F401
