"""Alert channels against local servers, delivery bookkeeping, the Atom feed and the web routes."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text

from forcewatch.alerts import (
    SIGNATURE_HEADER,
    DeliveryError,
    EmailChannel,
    RetryPolicy,
    WebhookChannel,
    channel_key,
    channels_from_settings,
    deliver_pending,
    list_alerts,
    missing_environment,
    queue_deliveries,
    render_atom,
    verify_signature,
)
from forcewatch.config import AlertChannel, AlertSettings
from forcewatch.errors import ConfigError
from forcewatch.store import tables as t
from forcewatch.store.db import Store, open_store
from forcewatch.web.alerts import alerts_router

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET = "s3cret-for-tests"
TOKEN = "ack-token-0123456789"


# --- local receivers ----------------------------------------------------------------------------


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 (free port) answering POSTs with scripted status codes
    (then 200) and keeping every request's headers and raw body."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append((dict(self.headers.items()), body))
                code = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def alerts(self) -> list[dict[str, Any]]:
        return [json.loads(body)["alert"] for _, body in self.requests]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailBox:
    """aiosmtpd handler keeping (envelope sender, recipients, raw message, authenticated)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes, bool]] = []

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.original_content or b""),
                bool(session.authenticated),
            )
        )
        return "250 OK"


class Authenticator:
    def __init__(self) -> None:
        self.logins: list[tuple[bytes, bytes]] = []

    def __call__(self, _server: Any, _session: Any, _env: Any, _mech: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"pw")


@pytest.fixture()
def smtp_server() -> Iterator[tuple[MailBox, Authenticator, int]]:
    box, auth = MailBox(), Authenticator()
    port = free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=port, authenticator=auth, auth_require_tls=False
    )
    controller.start()
    try:
        yield box, auth, port
    finally:
        controller.stop()


# --- store helpers ------------------------------------------------------------------------------


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'fw.db'}")
    yield s
    s.dispose()


def make_alert(store: Store, n: int, **over: Any) -> int:
    """Insert an alert row directly (the monitor's own path is tested in test_monitor)."""
    values: dict[str, Any] = dict(
        dedup_key=f"key-{n}",
        kind="state-change",
        severity="critical",
        subject=f"Site {n}",
        sites=[f"Site {n}"],
        from_state="quiet",
        to_state="build-up",
        effective_utc=datetime(2022, 1, 1 + n, 4, tzinfo=UTC),
        title=f"Site {n}: quiet → build-up",
        summary=f"Site {n} went from quiet to build-up <b>now</b>.",
        link=f"http://dash.example/sites/Site%20{n}",
        evidence={"site": f"Site {n}", "to": {"acquired_utc": "2022-01-02T04:00:00+00:00"}},
        created_utc=datetime(2022, 2, 1, tzinfo=UTC) + timedelta(hours=n),
        suppressed=False,
    )
    values.update(over)
    with store.begin() as conn:
        return int(conn.execute(insert(t.alerts).values(**values)).inserted_primary_key[0])


def record_of(store: Store, alert_id: int) -> dict[str, Any]:
    _, items = list_alerts(store, limit=500)
    return next(i for i in items if i["id"] == alert_id)


def webhook_cfg(url: str, secret_env: str | None = "FW_TEST_HOOK_SECRET") -> AlertChannel:
    return AlertChannel(kind="webhook", url=url, secret_env=secret_env)


# --- webhook ------------------------------------------------------------------------------------


def test_webhook_posts_the_alert_signed_with_hmac_sha256_of_the_raw_body(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FW_TEST_HOOK_SECRET", SECRET)
    alert = record_of(store, make_alert(store, 1))
    with WebhookReceiver() as rx:
        WebhookChannel(webhook_cfg(rx.url)).send(alert)
    assert len(rx.requests) == 1
    headers, body = rx.requests[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    assert verify_signature(body, SECRET, headers[SIGNATURE_HEADER])
    assert not verify_signature(body + b" ", SECRET, headers[SIGNATURE_HEADER])
    payload = json.loads(body)
    assert payload["type"] == "forcewatch.alert"
    assert payload["alert"]["id"] == alert["id"]
    assert payload["alert"]["title"] == "Site 1: quiet → build-up"
    assert payload["alert"]["link"] == "http://dash.example/sites/Site%201"
    assert headers["X-ForceWatch-Alert-Id"] == str(alert["id"])
    assert headers["Content-Type"] == "application/json"


def test_webhook_retries_with_exponential_backoff_until_the_receiver_accepts(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FW_TEST_HOOK_SECRET", SECRET)
    waits: list[float] = []
    policy = RetryPolicy(attempts=4, backoff_s=0.01, timeout_s=5)
    with WebhookReceiver([500, 503]) as rx:
        WebhookChannel(webhook_cfg(rx.url), policy, sleep=waits.append).send(
            record_of(store, make_alert(store, 1))
        )
    assert len(rx.requests) == 3
    assert waits == [0.01, 0.02]
    assert len({body for _, body in rx.requests}) == 1  # the same signed body each time


def test_webhook_gives_up_at_once_on_a_client_error_and_after_its_attempts_on_5xx(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FW_TEST_HOOK_SECRET", SECRET)
    alert = record_of(store, make_alert(store, 1))
    policy = RetryPolicy(attempts=3, backoff_s=0.0, timeout_s=5)
    with WebhookReceiver([400]) as rx:
        with pytest.raises(DeliveryError, match="HTTP 400 after 1 attempt"):
            WebhookChannel(webhook_cfg(rx.url), policy).send(alert)
    with WebhookReceiver([502, 502, 502, 502]) as rx:
        with pytest.raises(DeliveryError, match="HTTP 502 after 3 attempt"):
            WebhookChannel(webhook_cfg(rx.url), policy).send(alert)
    assert len(rx.requests) == 3


def test_webhook_with_its_secret_variable_unset_fails_without_sending(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FW_TEST_HOOK_SECRET", raising=False)
    with WebhookReceiver() as rx:
        with pytest.raises(DeliveryError, match="FW_TEST_HOOK_SECRET is not set"):
            WebhookChannel(webhook_cfg(rx.url)).send(record_of(store, make_alert(store, 1)))
    assert rx.requests == []


def test_unset_secret_variables_are_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FW_TEST_UNSET", raising=False)
    monkeypatch.setenv("FW_TEST_SET", "x")
    settings = AlertSettings(
        channels=[
            AlertChannel(kind="webhook", url="https://x.example/h", secret_env="FW_TEST_UNSET"),
            AlertChannel(kind="webhook", url="https://y.example/h", secret_env="FW_TEST_SET"),
        ]
    )
    assert missing_environment(settings) == ["FW_TEST_UNSET"]


def test_bad_channel_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="webhook needs url"):
        channels_from_settings(AlertSettings(channels=[AlertChannel(kind="webhook")]))
    with pytest.raises(ConfigError, match="smtp_host, sender and to"):
        channels_from_settings(AlertSettings(channels=[AlertChannel(kind="email", smtp_host="h")]))
    twice = AlertChannel(kind="webhook", url="https://x.example/h")
    with pytest.raises(ConfigError, match="configured twice"):
        channels_from_settings(AlertSettings(channels=[twice, twice]))
    assert channel_key(twice) == channel_key(
        AlertChannel(kind="webhook", url="https://x.example/h")
    )
    assert channel_key(twice) != channel_key(
        AlertChannel(kind="webhook", url="https://y.example/h")
    )


# --- e-mail -------------------------------------------------------------------------------------


def email_cfg(port: int, **over: Any) -> AlertChannel:
    values: dict[str, Any] = dict(
        kind="email",
        smtp_host="127.0.0.1",
        smtp_port=port,
        sender="forcewatch@example.org",
        to=["analyst@example.org", "desk@example.org"],
    )
    values.update(over)
    return AlertChannel(**values)


def test_email_reaches_a_local_smtp_server_without_tls_or_login(
    store: Store, smtp_server: tuple[MailBox, Authenticator, int]
) -> None:
    box, auth, port = smtp_server
    EmailChannel(email_cfg(port), timeout_s=10).send(record_of(store, make_alert(store, 3)))
    assert len(box.messages) == 1
    sender, rcpts, raw, authenticated = box.messages[0]
    assert sender == "forcewatch@example.org"
    assert rcpts == ["analyst@example.org", "desk@example.org"]
    assert not authenticated and auth.logins == []
    text = raw.decode()
    assert "Subject: [ForceWatch CRITICAL] Site 3:" in text
    assert "http://dash.example/sites/Site%203" in text


def test_email_logs_in_with_credentials_from_the_environment(
    store: Store, smtp_server: tuple[MailBox, Authenticator, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, auth, port = smtp_server
    monkeypatch.setenv("FW_TEST_SMTP_USER", "watcher")
    monkeypatch.setenv("FW_TEST_SMTP_PASSWORD", "pw")
    cfg = email_cfg(port, user_env="FW_TEST_SMTP_USER", password_env="FW_TEST_SMTP_PASSWORD")
    EmailChannel(cfg, timeout_s=10).send(record_of(store, make_alert(store, 1)))
    assert auth.logins == [(b"watcher", b"pw")]
    assert box.messages[0][3] is True
    monkeypatch.delenv("FW_TEST_SMTP_PASSWORD")
    with pytest.raises(DeliveryError, match="FW_TEST_SMTP_PASSWORD is not set"):
        EmailChannel(cfg, timeout_s=10).send(record_of(store, make_alert(store, 2)))
    assert len(box.messages) == 1


def test_email_to_an_unreachable_server_is_a_delivery_error(store: Store) -> None:
    with pytest.raises(DeliveryError, match="email"):
        EmailChannel(email_cfg(free_port()), timeout_s=2).send(
            record_of(store, make_alert(store, 1))
        )


# --- deliveries ---------------------------------------------------------------------------------


class Failing:
    """A channel that always fails."""

    key = "test:failing"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, alert: dict[str, Any]) -> None:
        self.calls += 1
        raise RuntimeError("receiver on fire")


def _deliveries(store: Store) -> dict[tuple[int, str], tuple[str, int]]:
    with store.connect() as conn:
        rows = conn.execute(select(t.alert_deliveries)).all()
    return {(r.alert_id, r.channel): (r.status, r.attempts) for r in rows}


def test_a_failing_channel_does_not_stop_another_and_is_retried_at_most_n_times(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FW_TEST_HOOK_SECRET", SECRET)
    ids = [make_alert(store, i) for i in (1, 2)]
    failing = Failing()
    with WebhookReceiver() as rx:
        hook = WebhookChannel(webhook_cfg(rx.url), RetryPolicy(backoff_s=0.0))
        with store.begin() as conn:
            queue_deliveries(conn, ids, [failing.key, hook.key])
        report = deliver_pending(store, [failing, hook], max_attempts=2)
        assert sorted(a["id"] for a in rx.alerts()) == ids
        assert report.sent == 2 and report.failed == 1 and report.deferred == 1
        # one failure defers the channel's other deliveries: one try per round, not per alert
        assert failing.calls == 1
        state = _deliveries(store)
        assert state[(ids[0], failing.key)] == ("retry", 1)
        assert state[(ids[1], failing.key)] == ("pending", 0)
        assert all(state[(i, hook.key)] == ("sent", 1) for i in ids)
        for _ in range(4):
            deliver_pending(store, [failing, hook], max_attempts=2)
    state = _deliveries(store)
    assert state[(ids[0], failing.key)] == ("failed", 2)
    assert state[(ids[1], failing.key)] == ("failed", 2)
    assert failing.calls == 4
    assert len(rx.requests) == 2  # sent deliveries are never sent again


# --- Atom feed and web routes -------------------------------------------------------------------


def test_atom_feed_is_valid_atom_with_one_entry_per_alert(store: Store) -> None:
    ids = [make_alert(store, i) for i in (1, 2, 3)]
    _, items = list_alerts(store)
    root = ET.fromstring(render_atom(items, feed_url="http://h/alerts.atom", home_url="http://h/"))
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "urn:forcewatch:alerts"
    assert root.findtext(f"{ATOM}title") == "ForceWatch alerts"
    assert root.findtext(f"{ATOM}updated") == items[0]["created_utc"]
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"urn:forcewatch:alert:{i}" for i in reversed(ids)
    ]
    first = entries[0]
    assert first.findtext(f"{ATOM}title") == "[CRITICAL] Site 3: quiet → build-up"
    assert first.find(f"{ATOM}link").get("href") == "http://dash.example/sites/Site%203"
    assert first.findtext(f"{ATOM}summary") == "Site 3 went from quiet to build-up <b>now</b>."
    datetime.fromisoformat(first.findtext(f"{ATOM}updated").replace("Z", "+00:00"))


def _client(store: Store, token: str | None) -> TestClient:
    app = FastAPI()
    app.include_router(alerts_router(lambda _r: store, lambda _r: token))
    return TestClient(app)


def test_feed_route_leaves_suppressed_alerts_out(store: Store) -> None:
    sent = make_alert(store, 1)
    make_alert(store, 2, suppressed=True, suppressed_reason="rate-limit")
    resp = _client(store, None).get("/alerts.atom")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(resp.content)
    ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    assert ids == [f"urn:forcewatch:alert:{sent}"]
    self_link = [ln for ln in root.findall(f"{ATOM}link") if ln.get("rel") == "self"][0]
    assert self_link.get("href") == "http://testserver/alerts.atom"


def test_api_alerts_pages_and_filters(store: Store) -> None:
    for i in range(1, 6):
        make_alert(store, i, severity="info" if i % 2 else "critical")
    client = _client(store, None)
    page = client.get("/api/alerts", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 1
    assert [a["subject"] for a in page["items"]] == ["Site 4", "Site 3"]
    assert page["items"][0]["deliveries"] == []
    crit = client.get("/api/alerts", params={"severity": "critical"}).json()
    assert crit["total"] == 2 and {a["subject"] for a in crit["items"]} == {"Site 2", "Site 4"}
    assert client.get("/api/alerts", params={"limit": 0}).status_code == 422


def test_ack_needs_the_bearer_token(store: Store) -> None:
    alert_id = make_alert(store, 1)
    url = f"/api/alerts/{alert_id}/ack"
    assert _client(store, None).post(url).status_code == 403
    assert _client(store, "").post(url).status_code == 403
    client = _client(store, TOKEN)
    assert client.post(url).status_code == 401
    assert client.post(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post(url, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert record_of(store, alert_id)["acknowledged_utc"] is None
    good = {"Authorization": f"Bearer {TOKEN}"}
    resp = client.post(url, headers=good)
    assert resp.status_code == 200
    first = resp.json()["acknowledged_utc"]
    assert first is not None
    assert client.post(url, headers=good).json()["acknowledged_utc"] == first  # idempotent
    assert client.post("/api/alerts/999/ack", headers=good).status_code == 404
    assert client.get("/api/alerts", params={"acknowledged": True}).json()["total"] == 1


def test_alerts_page_lists_alerts_escaped_with_an_ack_button_and_its_script(store: Store) -> None:
    a1 = make_alert(store, 1)
    make_alert(store, 2, acknowledged_utc=datetime(2022, 2, 2, tzinfo=UTC))
    client = _client(store, TOKEN)
    html = client.get("/alerts").text
    assert "Site 1: quiet → build-up" in html and "Site 2: quiet → build-up" in html
    assert f'data-id="{a1}"' in html and html.count('class="ack"') == 1
    assert "&lt;b&gt;now&lt;/b&gt;" in html and "<b>now</b>" not in html
    assert '<script src="/alerts.js">' in html
    only_open = client.get("/alerts", params={"open": 1}).text
    assert "Site 2:" not in only_open
    js = client.get("/alerts.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert "Authorization" in js.text


# --- migration ----------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when FORCEWATCH_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'fw.db'}")
    else:
        url = os.environ.get("FORCEWATCH_TEST_POSTGRES_URL")
        if not url:
            pytest.skip("no PostgreSQL (set FORCEWATCH_TEST_POSTGRES_URL; `make test` starts one)")
        s = open_store(url, migrate_schema=False)
        with s.begin() as conn:
            t.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        s.dispose()
        s = open_store(url)
    yield s
    s.dispose()


def test_migration_0003_goes_down_and_up_and_enforces_unique_dedup_keys(any_store: Store) -> None:
    from alembic import command
    from sqlalchemy import inspect
    from sqlalchemy.exc import IntegrityError

    from forcewatch.store.db import _alembic_config, migrate

    make_alert(any_store, 1)
    with pytest.raises(IntegrityError):
        make_alert(any_store, 2, dedup_key="key-1")
    with any_store.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0002")
    assert "alerts" not in inspect(any_store.engine).get_table_names()
    migrate(any_store, "head")
    names = set(inspect(any_store.engine).get_table_names())
    assert {"alerts", "alert_deliveries", "watch_cycles"} <= names
    make_alert(any_store, 1)
