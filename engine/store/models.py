"""The tables: the database is the truth, everything in memory can be rebuilt from it."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, ForeignKey, Integer, LargeBinary, MetaData, String, Text,
    UniqueConstraint, Index,
)
from sqlalchemy.sql import false, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from engine.store.compressed_text import CompressedText

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# SQLite only auto-increments INTEGER PRIMARY KEY columns, so BIGINT becomes INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo: every timestamp column holds naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # Argon2id, for the pages' sign-in
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # set: the pages ask for a TOTP code too
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # the last code's time step (no replay)
    # "<issuer> <sub>" of the single sign-on identity this user is (set at its first OIDC sign-in): a name
    # claim that later arrives with another subject is someone else and is refused.
    oidc_subject: Mapped[str | None] = mapped_column(String(512), unique=True)
    groups: Mapped[list["UserGroup"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class UserGroup(Base):
    __tablename__ = "user_groups"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group: Mapped[str] = mapped_column(String(120), primary_key=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(String(200))
    user: Mapped[User] = relationship(lazy="joined")


class WebSession(Base):
    """A signed-in page session: the cookie carries a random id, the table its hash and how the person
    signed in; signing out deletes the row, so a copied cookie stops working."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    auth_time: Mapped[datetime] = mapped_column(DateTime)
    amr: Mapped[list] = mapped_column(JSON)  # authentication methods (RFC 8176): "pwd", "otp", "token"
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    acr: Mapped[str | None] = mapped_column(String(200))  # an OIDC sign-in's authentication context class
    id_token: Mapped[str | None] = mapped_column(Text)  # an OIDC sign-in's ID token: the IdP's sign-out hint
    user: Mapped[User] = relationship(lazy="joined")


class Authorization(Base):
    """A grant, after Camunda 7's authorization resource: a user or a group may do `permissions` on a resource
    (a process definition by key, or a process instance by id; '*' for all of that type)."""

    __tablename__ = "authorizations"
    __table_args__ = (Index("ix_authorizations_user_group", "user_id", "group_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(30))  # process_definition | process_instance
    resource_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str | None] = mapped_column(String(120))
    group_id: Mapped[str | None] = mapped_column(String(120))
    permissions: Mapped[list] = mapped_column(JSON)  # READ, CREATE_INSTANCE, ALL
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(120))


class AuthorizationEvent(Base):
    """The audit log of grants: every grant and removal, with a copy of the grant as it was."""

    __tablename__ = "authorization_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20))  # granted | removed
    authorization_id: Mapped[int] = mapped_column(Integer)
    authorization: Mapped[dict] = mapped_column(JSON)


class Deployment(Base):
    __tablename__ = "deployments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    checksum: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(120))
    # Where the deployment came from, as its client said (Camunda 7's deployment-source, e.g. "Camunda Modeler").
    source: Mapped[str | None] = mapped_column(String(255))
    definitions: Mapped[list["ProcessDefinition"]] = relationship(
        order_by="ProcessDefinition.key", lazy="selectin", back_populates="deployment")
    resources: Mapped[list["DeploymentResource"]] = relationship(
        cascade="all, delete-orphan", lazy="select")


class DeploymentResource(Base):
    __tablename__ = "deployment_resources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ProcessDefinition(Base):
    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(150), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"), index=True)
    resource_name: Mapped[str] = mapped_column(String(255))
    # The SpiffWorkflow spec (and the specs of its sub-processes), stored once per version.
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)  # read on a spec-cache miss only
    # element id -> {type, name}: lets reads describe activities without loading the spec.
    activities: Mapped[dict] = mapped_column(JSON, default=dict)
    # isExecutable="false" processes are kept for viewing; they start only when asked to.
    executable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # {"messages": {name: {"correlation_key": expr}}, "message_starts": [...], "signal_starts": [...]}
    events: Mapped[dict | None] = mapped_column(JSON)
    # camunda:versionTag (or zeebe:versionTag): call activities with binding versionTag find versions by it.
    version_tag: Mapped[str | None] = mapped_column(String(255))
    # {"users": [...], "groups": [...]} from camunda:candidateStarterUsers/Groups; None when the process names none.
    starters: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deployment: Mapped[Deployment] = relationship(back_populates="definitions", lazy="select")


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[str] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    definition_key: Mapped[str] = mapped_column(String(150), index=True)
    business_key: Mapped[str | None] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    variables: Mapped[dict] = mapped_column(JSON, default=dict)
    active_activities: Mapped[list] = mapped_column(JSON, default=list)
    # SpiffWorkflow's serialized state without the spec; completed history is pruned from it. Stored deflated.
    workflow_state: Mapped[str] = mapped_column(CompressedText)
    # Bumped by every command: the row lock that serialises writers of one instance.
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    history_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The hash of the newest history event: the chain's end (see engine/history/chain.py).
    history_head: Mapped[str | None] = mapped_column(String(64))
    # Variable name -> the history event that last set it (see engine/history/variable_sources.py).
    variable_sources: Mapped[dict | None] = mapped_column(JSON)
    # Variable name -> the type a client declared for it, e.g. {"type": "Long", "valueInfo": {}}
    # (see engine/instances/variable_types.py); names without one get the type their value implies.
    variable_types: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[dict | None] = mapped_column(JSON)
    # Call-activity spec name -> the definition it resolved to when first called (engine/runtime/called_processes.py)
    called_definitions: Mapped[dict | None] = mapped_column(JSON)
    # True while the instance has rows in event_subscriptions (saves skip the table otherwise).
    waits_for_events: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    started_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)


class UserTask(Base):
    __tablename__ = "user_tasks"
    __table_args__ = (Index("ix_user_tasks_instance_state", "instance_id", "state"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    activity_id: Mapped[str] = mapped_column(String(150))
    name: Mapped[str | None] = mapped_column(String(255))
    assignee: Mapped[str | None] = mapped_column(String(120), index=True)
    due: Mapped[datetime | None] = mapped_column(DateTime)
    follow_up: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[int | None] = mapped_column(Integer)
    form_key: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by: Mapped[str | None] = mapped_column(String(120))
    candidates: Mapped[list["TaskCandidate"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def candidate_users(self) -> list[str]:
        return sorted(c.name for c in self.candidates if c.kind == "user")

    @property
    def candidate_groups(self) -> list[str]:
        return sorted(c.name for c in self.candidates if c.kind == "group")


class TaskCandidate(Base):
    """A candidate user or group of a user task; a table so that task lists filter in SQL."""

    __tablename__ = "task_candidates"
    task_id: Mapped[str] = mapped_column(ForeignKey("user_tasks.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(5), primary_key=True)  # "user" | "group"
    name: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)


class HistoryBatch(Base):
    """The history events one command recorded for an instance, packed (engine/history/packing.py)."""

    __tablename__ = "history_batches"
    # `last_at` is indexed for exports by time range (a batch holds events from first_at to last_at).
    __table_args__ = (UniqueConstraint("instance_id", "first_seq"), Index("ix_history_batches_last_at", "last_at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    first_seq: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(DateTime)
    last_at: Mapped[datetime] = mapped_column(DateTime)
    # The hash of the event before the first of the batch (None before the instance's first event).
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    events: Mapped[bytes] = mapped_column(LargeBinary)


class Job(Base):
    """Work the engine owes later: async continuations, timers, retries and buffered messages of an
    instance, and timer start events of a definition (no instance yet; `schedule` holds the cycle)."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "due_at", "locked_until"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    definition_id: Mapped[str | None] = mapped_column(ForeignKey("process_definitions.id", ondelete="CASCADE"),
                                                      index=True)
    schedule: Mapped[dict | None] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(30))
    task_id: Mapped[str] = mapped_column(String(36))
    activity_id: Mapped[str | None] = mapped_column(String(150))
    due_at: Mapped[datetime] = mapped_column(DateTime)
    locked_by: Mapped[str | None] = mapped_column(String(80))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FormDefinition(Base):
    """A deployed Camunda Form (`.form` with an `id`), versioned like processes, for formRef/formId."""

    __tablename__ = "form_definitions"
    __table_args__ = (UniqueConstraint("form_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"), index=True)
    resource_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Incident(Base):
    """A task whose handler kept failing (or a definition whose timer start job did): it waits here
    until someone retries or resolves it."""

    __tablename__ = "incidents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # None for an incident of a definition: its timer start job kept failing (there is no instance yet).
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"),
                                                    index=True)
    definition_id: Mapped[str | None] = mapped_column(ForeignKey("process_definitions.id", ondelete="CASCADE"),
                                                      index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    activity_id: Mapped[str | None] = mapped_column(String(150))
    error: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)  # open | resolved
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(120))


class ExternalTask(Base):
    """A service task a worker outside Fuse performs (fetch-and-lock, then complete or fail)."""

    __tablename__ = "external_tasks"
    __table_args__ = (Index("ix_external_tasks_topic_lock", "topic", "lock_expires_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[str | None] = mapped_column(String(150))
    topic: Mapped[str] = mapped_column(String(200))
    worker_id: Mapped[str | None] = mapped_column(String(200))
    worker_user: Mapped[str | None] = mapped_column(String(120))  # who locked it: worker_id alone is not proof
    lock_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    retries: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)  # what the worker said beside the message
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EventSubscription(Base):
    """A task waiting for a message or signal, with the correlation value it waits for."""

    __tablename__ = "event_subscriptions"
    __table_args__ = (Index("ix_event_subscriptions_kind_name", "kind", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    activity_id: Mapped[str | None] = mapped_column(String(150))
    kind: Mapped[str] = mapped_column(String(10))  # message | signal
    name: Mapped[str] = mapped_column(String(255))
    correlation_value: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class BufferedMessage(Base):
    """A message that arrived before anyone waited for it, kept until it expires (ttl_ms)."""

    __tablename__ = "buffered_messages"
    __table_args__ = (Index("ix_buffered_messages_name_expires", "name", "expires_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(255))
    correlation_keys: Mapped[dict] = mapped_column(JSON, default=dict)
    variables: Mapped[dict] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
