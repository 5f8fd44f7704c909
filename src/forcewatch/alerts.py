"""Alert channels (webhook, e-mail), delivery bookkeeping, stored alerts and the Atom feed.

An alert is a stored row (``alerts`` table, created by ``forcewatch.monitor``); each configured
channel gets one ``alert_deliveries`` row per alert that is not suppressed. ``deliver_pending``
sends what is pending, records the outcome per (alert, channel) and leaves failures for the
next cycle, at most ``max_attempts`` times. A failing channel never stops another one.

Delivery is at least once: a process killed between sending and recording the outcome sends
again, so receivers should deduplicate on the alert id (``X-ForceWatch-Alert-Id``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import smtplib
import ssl
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Connection, and_, func, select, update

from forcewatch import __version__
from forcewatch.config import AlertChannel, AlertSettings
from forcewatch.errors import ConfigError, ForceWatchError
from forcewatch.store import tables as t
from forcewatch.store.db import Store

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ForceWatch-Signature"
MAX_DELIVERY_ATTEMPTS = 5
ATOM_NS = "http://www.w3.org/2005/Atom"


class DeliveryError(ForceWatchError):
    """A channel could not deliver an alert (after its own retries)."""


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    v = _utc(value)
    return None if v is None else v.isoformat().replace("+00:00", "Z")


# --- signatures ---------------------------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the raw request body with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, secret: str, header: str | None) -> bool:
    """Whether ``header`` (the ``X-ForceWatch-Signature`` value) signs ``body`` (constant time)."""
    return bool(header) and hmac.compare_digest(sign(body, secret), str(header).strip())


# --- channels -----------------------------------------------------------------------------------


class Channel(Protocol):
    """Something that sends one alert record or raises ``DeliveryError``."""

    @property
    def key(self) -> str: ...

    def send(self, alert: dict[str, Any]) -> None: ...


def channel_key(cfg: AlertChannel) -> str:
    """A stable name of a configured channel (kind, host and a digest of where it sends)."""
    ident = [cfg.kind, cfg.url, cfg.smtp_host, cfg.smtp_port, sorted(cfg.to)]
    digest = hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:10]
    host = urlsplit(cfg.url).hostname if cfg.url else cfg.smtp_host
    return f"{cfg.kind}:{(host or '?')[:30]}:{digest}"


def _env(name: str | None, what: str) -> str | None:
    """The value of environment variable ``name`` (None when no name is configured)."""
    if not name:
        return None
    value = os.environ.get(name)
    if not value:
        raise DeliveryError(f"{what}: environment variable {name} is not set")
    return value


def validate_channel(cfg: AlertChannel) -> None:
    """Raise ConfigError when a channel lacks what it needs to send."""
    if cfg.kind == "webhook":
        scheme = urlsplit(cfg.url or "").scheme
        if scheme not in ("http", "https"):
            raise ConfigError("alerts.channels: a webhook needs url: http(s)://HOST/PATH")
    else:
        if not (cfg.smtp_host and cfg.sender and cfg.to):
            raise ConfigError("alerts.channels: an email channel needs smtp_host, sender and to")
        if bool(cfg.user_env) != bool(cfg.password_env):
            raise ConfigError("alerts.channels: set both user_env and password_env, or neither")


@dataclass(frozen=True)
class RetryPolicy:
    """Tries within one delivery: ``attempts`` in all, waiting ``backoff_s * 2**k`` between
    them (at most ``max_backoff_s``); each request times out after ``timeout_s`` seconds."""

    attempts: int = 3
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.backoff_s < 0 or self.timeout_s <= 0:
            raise ConfigError("webhook retry policy: attempts >= 1, backoff_s >= 0, timeout_s > 0")

    def delay_s(self, failed: int) -> float:
        return float(min(self.max_backoff_s, self.backoff_s * 2 ** (failed - 1)))


def alert_payload(alert: dict[str, Any]) -> dict[str, Any]:
    """The JSON body a webhook receives."""
    return {"type": "forcewatch.alert", "version": 1, "alert": alert}


class WebhookChannel:
    """POST the alert as JSON, signed with the secret from ``secret_env``; retried on network
    errors, 429 and 5xx with exponential back-off."""

    def __init__(
        self,
        cfg: AlertChannel,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        validate_channel(cfg)
        self.cfg = cfg
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._transport = transport

    @property
    def key(self) -> str:
        return channel_key(self.cfg)

    def send(self, alert: dict[str, Any]) -> None:
        body = json.dumps(alert_payload(alert), sort_keys=True, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"forcewatch/{__version__}",
            "X-ForceWatch-Alert-Id": str(alert.get("id")),
            "X-ForceWatch-Dedup-Key": str(alert.get("dedup_key")),
        }
        secret = _env(self.cfg.secret_env, f"webhook {self.key}")
        if secret:
            headers[SIGNATURE_HEADER] = sign(body, secret)
        url = str(self.cfg.url)
        problem = ""
        with httpx.Client(timeout=self.policy.timeout_s, transport=self._transport) as client:
            for attempt in range(1, self.policy.attempts + 1):
                try:
                    resp = client.post(url, content=body, headers=headers)
                except httpx.TransportError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                else:
                    if resp.status_code < 300:
                        return
                    problem = f"HTTP {resp.status_code}"
                    if resp.status_code != 429 and resp.status_code < 500:
                        break  # the receiver refuses this request; trying again won't help
                if attempt < self.policy.attempts:
                    self._sleep(self.policy.delay_s(attempt))
        raise DeliveryError(f"webhook {self.key}: {problem} after {attempt} attempt(s)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def email_message(alert: dict[str, Any], sender: str, to: Sequence[str]) -> EmailMessage:
    """A plain-text e-mail of one alert."""
    msg = EmailMessage()
    msg["Subject"] = f"[ForceWatch {str(alert['severity']).upper()}] {alert['title']}"
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["X-ForceWatch-Alert-Id"] = str(alert.get("id"))
    evidence = json.dumps(alert.get("evidence", {}), indent=2, sort_keys=True, default=str)
    msg.set_content(
        f"{alert['summary']}\n\n"
        f"Severity: {alert['severity']}\n"
        f"Effective: {alert.get('effective_utc') or 'n/a'}\n"
        f"Dashboard: {alert['link']}\n\n"
        f"Evidence:\n{evidence}\n"
    )
    return msg


class EmailChannel:
    """Send through SMTP: implicit TLS on port 465, else STARTTLS when the server offers it.

    Credentials (``user_env``/``password_env``) are sent only over TLS, or in clear to a
    loopback server (a local relay); otherwise the delivery fails rather than leak them.
    """

    def __init__(self, cfg: AlertChannel, timeout_s: float = 30.0) -> None:
        validate_channel(cfg)
        self.cfg = cfg
        self.timeout_s = timeout_s

    @property
    def key(self) -> str:
        return channel_key(self.cfg)

    def send(self, alert: dict[str, Any]) -> None:
        cfg = self.cfg
        host = str(cfg.smtp_host)
        user = _env(cfg.user_env, f"email {self.key}")
        password = _env(cfg.password_env, f"email {self.key}")
        msg = email_message(alert, str(cfg.sender), cfg.to)
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if cfg.smtp_port == 465:
                smtp = smtplib.SMTP_SSL(
                    host, cfg.smtp_port, timeout=self.timeout_s, context=context
                )
            else:
                smtp = smtplib.SMTP(host, cfg.smtp_port, timeout=self.timeout_s)
            with smtp:
                smtp.ehlo()
                secure = cfg.smtp_port == 465
                if not secure and smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                    secure = True
                if user is not None:
                    if not secure and not _is_loopback(host):
                        raise DeliveryError(
                            f"email {self.key}: {host} offers no STARTTLS; refusing to send the "
                            "password in clear"
                        )
                    smtp.login(user, password or "")
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"email {self.key}: {type(exc).__name__}: {exc}") from exc


def channels_from_settings(
    settings: AlertSettings, policy: RetryPolicy | None = None
) -> list[Channel]:
    """The configured channels, validated (raises ConfigError)."""
    out: list[Channel] = []
    for cfg in settings.channels:
        out.append(WebhookChannel(cfg, policy) if cfg.kind == "webhook" else EmailChannel(cfg))
    keys = [c.key for c in out]
    if len(set(keys)) != len(keys):
        raise ConfigError("alerts.channels: the same channel is configured twice")
    return out


def missing_environment(settings: AlertSettings) -> list[str]:
    """Environment variables named by the channels but not set (their deliveries would fail)."""
    names = [n for c in settings.channels for n in (c.secret_env, c.user_env, c.password_env)]
    return sorted({n for n in names if n and not os.environ.get(n)})


# --- stored alerts ------------------------------------------------------------------------------


def alert_record(row: Any) -> dict[str, Any]:
    """A stored alert as JSON-able dict (times ISO-8601 UTC)."""
    return {
        "id": int(row.id),
        "dedup_key": row.dedup_key,
        "kind": row.kind,
        "severity": row.severity,
        "subject": row.subject,
        "sites": list(row.sites or []),
        "from_state": row.from_state,
        "to_state": row.to_state,
        "effective_utc": _iso(row.effective_utc),
        "title": row.title,
        "summary": row.summary,
        "link": row.link,
        "evidence": dict(row.evidence or {}),
        "created_utc": _iso(row.created_utc),
        "suppressed": bool(row.suppressed),
        "suppressed_reason": row.suppressed_reason,
        "acknowledged_utc": _iso(row.acknowledged_utc),
        "cycle_id": row.cycle_id,
    }


@dataclass(frozen=True)
class AlertQuery:
    """Filters of ``list_alerts``."""

    include_suppressed: bool = True
    severity: str | None = None
    subject: str | None = None
    acknowledged: bool | None = None


def _where(q: AlertQuery) -> list[Any]:
    a = t.alerts.c
    cond: list[Any] = []
    if not q.include_suppressed:
        cond.append(a.suppressed.is_(False))
    if q.severity:
        cond.append(a.severity == q.severity)
    if q.subject:
        cond.append(a.subject == q.subject)
    if q.acknowledged is not None:
        cond.append(
            a.acknowledged_utc.is_not(None) if q.acknowledged else a.acknowledged_utc.is_(None)
        )
    return cond


def list_alerts(
    store: Store, query: AlertQuery | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """(total matching, one page of alerts newest first, each with its ``deliveries``)."""
    cond = _where(query or AlertQuery())
    with store.connect() as conn:
        total = conn.execute(select(func.count()).select_from(t.alerts).where(*cond)).scalar()
        rows = conn.execute(
            select(t.alerts)
            .where(*cond)
            .order_by(t.alerts.c.created_utc.desc(), t.alerts.c.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        items = [alert_record(r) for r in rows]
        _attach_deliveries(conn, items)
    return int(total or 0), items


def _attach_deliveries(conn: Connection, items: list[dict[str, Any]]) -> None:
    by_id: dict[int, list[dict[str, Any]]] = {int(i["id"]): [] for i in items}
    if not by_id:
        return
    d = t.alert_deliveries
    q = select(d).where(d.c.alert_id.in_(list(by_id))).order_by(d.c.alert_id, d.c.channel)
    for r in conn.execute(q):
        by_id[int(r.alert_id)].append(
            {
                "channel": r.channel,
                "status": r.status,
                "attempts": int(r.attempts),
                "last_error": r.last_error,
                "sent_utc": _iso(r.sent_utc),
            }
        )
    for item in items:
        item["deliveries"] = by_id[int(item["id"])]


def get_alert(store: Store, alert_id: int) -> dict[str, Any] | None:
    with store.connect() as conn:
        row = conn.execute(select(t.alerts).where(t.alerts.c.id == alert_id)).first()
        if row is None:
            return None
        items = [alert_record(row)]
        _attach_deliveries(conn, items)
    return items[0]


def acknowledge(store: Store, alert_id: int, now: datetime | None = None) -> dict[str, Any] | None:
    """Mark an alert acknowledged (idempotent: the first time is kept). None when unknown."""
    with store.begin() as conn:
        conn.execute(
            update(t.alerts)
            .where(t.alerts.c.id == alert_id, t.alerts.c.acknowledged_utc.is_(None))
            .values(acknowledged_utc=now or datetime.now(UTC))
        )
    return get_alert(store, alert_id)


# --- deliveries ---------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """Outcome of one delivery round: counts, and the errors in words."""

    sent: int = 0
    failed: int = 0
    deferred: int = 0
    gave_up: int = 0
    errors: list[str] = field(default_factory=list)


def queue_deliveries(
    conn: Connection, alert_ids: Iterable[int], channel_keys: Sequence[str]
) -> int:
    """Pending delivery rows for each (alert, channel), in the caller's transaction."""
    rows = [
        {"alert_id": a, "channel": k, "status": "pending", "attempts": 0}
        for a in alert_ids
        for k in channel_keys
    ]
    if rows:
        conn.execute(t.alert_deliveries.insert(), rows)
    return len(rows)


def _pending(store: Store, keys: Sequence[str], max_attempts: int) -> list[tuple[str, Any]]:
    d, a = t.alert_deliveries, t.alerts
    q = (
        select(d.c.channel, d.c.attempts, a)
        .join(a, a.c.id == d.c.alert_id)
        .where(
            and_(
                d.c.channel.in_(list(keys)),
                d.c.status.in_(["pending", "retry"]),
                d.c.attempts < max_attempts,
            )
        )
        .order_by(a.c.id, d.c.channel)
    )
    with store.connect() as conn:
        return [(r.channel, r) for r in conn.execute(q)]


def _record(
    store: Store, alert_id: int, key: str, attempts: int, error: str | None, max_attempts: int
) -> str:
    now = datetime.now(UTC)
    if error is None:
        values: dict[str, Any] = dict(status="sent", sent_utc=now, last_error=None)
    else:
        values = dict(status="failed" if attempts >= max_attempts else "retry", last_error=error)
    d = t.alert_deliveries
    with store.begin() as conn:
        conn.execute(
            update(d)
            .where(d.c.alert_id == alert_id, d.c.channel == key)
            .values(attempts=attempts, last_attempt_utc=now, **values)
        )
    return str(values["status"])


def deliver_pending(
    store: Store, channels: Sequence[Channel], max_attempts: int = MAX_DELIVERY_ATTEMPTS
) -> DeliveryReport:
    """Send every pending or retried (alert, channel) delivery; record each outcome at once.

    The first failure of a channel in a round defers that channel's remaining deliveries to the
    next round (not counted as attempts), so one unreachable receiver costs one timeout per
    cycle. Deliveries failing ``max_attempts`` times are marked ``failed`` and not tried again.
    """
    report = DeliveryReport()
    by_key = {c.key: c for c in channels}
    broken: set[str] = set()
    for key, row in _pending(store, list(by_key), max_attempts):
        if key in broken:
            report.deferred += 1
            continue
        record = alert_record(row)
        attempts = int(row.attempts) + 1
        try:
            by_key[key].send(record)
        except Exception as exc:  # a channel's failure, whatever it is, must not stop the others
            text = (
                exc.message if isinstance(exc, ForceWatchError) else f"{type(exc).__name__}: {exc}"
            )
            log.warning("alert %s not delivered to %s: %s", record["id"], key, text)
            broken.add(key)
            report.failed += 1
            report.errors.append(text)
            if _record(store, record["id"], key, attempts, text, max_attempts) == "failed":
                report.gave_up += 1
            continue
        _record(store, record["id"], key, attempts, None, max_attempts)
        report.sent += 1
    return report


# --- Atom feed ----------------------------------------------------------------------------------


def render_atom(
    alerts: Sequence[dict[str, Any]],
    *,
    feed_url: str,
    home_url: str,
    title: str = "ForceWatch alerts",
    feed_id: str = "urn:forcewatch:alerts",
) -> bytes:
    """An Atom 1.0 feed (RFC 4287) of alert records, newest first, as UTF-8 XML bytes."""

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, tag, attrs)
        if text is not None:
            el.text = text
        return el

    # Unqualified names under a default xmlns: serialises as plain <feed xmlns="...Atom">.
    feed = ET.Element("feed", xmlns=ATOM_NS)
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    stamps = [str(a["created_utc"]) for a in alerts if a.get("created_utc")]
    sub(feed, "updated", max(stamps) if stamps else "1970-01-01T00:00:00Z")
    sub(feed, "link", rel="self", href=feed_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=home_url, type="text/html")
    author = sub(feed, "author")
    sub(author, "name", "ForceWatch")
    sub(feed, "generator", "ForceWatch", version=__version__)
    for a in alerts:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:forcewatch:alert:{a['id']}")
        sub(entry, "title", f"[{str(a['severity']).upper()}] {a['title']}")
        sub(entry, "updated", str(a["created_utc"]))
        sub(entry, "published", str(a["created_utc"]))
        sub(entry, "link", rel="alternate", href=str(a["link"]), type="text/html")
        sub(entry, "category", term=str(a["severity"]), label="severity")
        sub(entry, "category", term=str(a["kind"]), label="kind")
        sub(entry, "summary", str(a["summary"]), type="text")
    body = ET.tostring(feed, encoding="utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body
