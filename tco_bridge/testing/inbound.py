"""Checks of the way in: the protocol's shape and discovery, parsing samples and recorded
payloads purely, the loop guard, and webhook signatures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import pytest
import responses

from ..connector import Connector, Delivery, available, build, load_class, lower_headers
from ..errors import SignatureError, UnreadableDelivery
from ..event_codec import dump_event, load_event
from ..events import ActorKind
from . import recorded
from .cases import NOW, FixtureFile, Sample
from .harness import Harness


class InboundChecks(Harness):
    """Protocol shape, parsing and signatures."""

    # --- protocol shape ---------------------------------------------------------------------
    def test_is_a_connector_found_by_its_entry_point(self) -> None:
        conn = self._connector()
        assert isinstance(conn, Connector), f"{type(conn).__name__} misses protocol members"
        assert self.name in available(), f"no entry point named {self.name!r}"
        assert load_class(self.name) is type(conn)
        assert type(conn).name == conn.name == self.name

    def test_settings_come_from_the_environment(self) -> None:
        conn = self._connector()
        assert conn.webhook_secret, "env() must configure a webhook secret"
        assert conn.webhook_secret in self.secrets(), (
            "the webhook secret is not in secrets(): by default it holds the env() values of 4 "
            "characters or more named like a secret (TOKEN, SECRET, PASSWORD, API_KEY)"
        )
        assert conn.bot_account, "env() must configure the bot account (loop guard)"
        self._assert_clean([repr(conn), str(conn)], "repr(connector)")

    def test_write_limits_parse(self) -> None:
        from limits import parse_many

        declared = self._connector().write_limits
        assert isinstance(declared, Mapping) and declared, "write_limits must be a mapping"
        for scope, text in declared.items():
            assert isinstance(scope, str) and isinstance(text, str)
            assert parse_many(text), f"write_limits[{scope!r}] = {text!r}"

    def test_no_actions_send_nothing(self) -> None:
        run = self._run(recorded.nothing, lambda conn: conn.perform([]))
        assert run.result == [] and run.calls == []

    # --- parsing ------------------------------------------------------------------------------
    def test_sample_parses_to_the_expected_events(self, sample: Sample) -> None:
        delivery = self._parse(sample.headers, sample.body, sample.env)
        got = [(e.type, e.key) for e in delivery.events]
        assert got == list(sample.events), f"{sample.name}: {got}"
        assert bool(delivery.ignored) == sample.ignored, delivery.ignored
        for event, wanted in zip(delivery.events, sample.values, strict=False):
            seen = {name: getattr(event, name) for name in wanted}
            assert seen == dict(wanted), f"{sample.name}: {event.key} carries {seen}"
        if sample.twin_of is not None:
            twin = next(s for s in self.samples() if s.name == sample.twin_of)
            other = self._parse(twin.headers, twin.body, twin.env)
            assert [e.key for e in other.events] == [e.key for e in delivery.events], (
                f"{sample.name} and {twin.name} report one happening: one set of event keys"
            )
        again = self._parse(sample.headers, sample.body, sample.env)
        assert again == delivery, "parse must be a pure function of (headers, body)"
        for event in delivery.events:
            assert event.connector == self.name and event.ticket, event
            assert event.at.tzinfo is not None, f"{event.key}: 'at' must be timezone-aware"
            assert load_event(dump_event(event)) == event, f"{event.key}: wire format"

    def test_shared_fixture_parses_or_is_refused_as_documented(
        self, fixture_file: FixtureFile
    ) -> None:
        body = fixture_file.path.read_bytes()
        if fixture_file.refused is not None:
            with pytest.raises(UnreadableDelivery, match=fixture_file.refused):
                self._parse(fixture_file.headers, body)
            return
        delivery = self._parse(fixture_file.headers, body)
        assert delivery.events or delivery.ignored, "no events and no reason why"
        for event in delivery.events:
            assert load_event(dump_event(event)) == event

    def test_loop_guard_marks_the_bot_account_as_bridge(self) -> None:
        mine = [s for s in self.samples() if s.by_bot]
        assert mine, "samples() needs a delivery authored by the bot account (by_bot=True)"
        for sample in mine:
            events = self._parse(sample.headers, sample.body).events
            assert events, f"{sample.name}: no events"
            kinds = {e.actor.kind if e.actor else None for e in events}
            kinds |= {e.comment.author.kind for e in events if e.comment and e.comment.author}
            assert kinds == {ActorKind.BRIDGE}, f"{sample.name}: actor kinds {kinds}"

    def _parse(
        self, headers: Mapping[str, str], body: bytes, env: Mapping[str, str] | None = None
    ) -> Delivery:
        if env:
            conn = build(self.name, {**self.env(), **env})
        else:
            conn = self._current()
        with responses.RequestsMock(assert_all_requests_are_fired=False):  # no I/O allowed
            return conn.parse(lower_headers(headers), body)

    # --- signatures ---------------------------------------------------------------------------
    def _signed(self, body: bytes, secret: str | None = None, at: datetime = NOW) -> dict[str, str]:
        conn = self._current()
        return lower_headers(self.sign(body, secret or conn.webhook_secret or "", at))

    def _digests(self, body: bytes) -> list[str]:
        """Header values that depend on the secret (the signature itself)."""
        other = self._signed(body, "not-the-secret")
        return [v for k, v in self._signed(body).items() if other.get(k) != v]

    def _body(self) -> bytes:
        return self.samples()[0].body

    def test_valid_signature_passes(self) -> None:
        body = self._body()
        self._connector().verify(self._signed(body), body, NOW)

    def test_tampered_body_is_refused(self) -> None:
        body = self._body()
        conn = self._connector()
        with pytest.raises(SignatureError) as info:
            conn.verify(self._signed(body), body + b" ", NOW)
        self._assert_clean([str(info.value)], "a signature error", extra=self._digests(body))

    def test_wrong_secret_is_refused(self) -> None:
        body = self._body()
        conn = self._connector()
        with pytest.raises(SignatureError) as info:
            conn.verify(self._signed(body, "not-the-secret"), body, NOW)
        self._assert_clean([str(info.value)], "a signature error", extra=self._digests(body))

    def test_missing_signature_is_refused(self) -> None:
        body = self._body()
        conn = self._connector()
        digests = self._digests(body)
        assert digests, "sign() must return at least one header that depends on the secret"
        unsigned = {k: v for k, v in self._signed(body).items() if v not in digests}
        with pytest.raises(SignatureError):
            conn.verify(unsigned, body, NOW)

    def test_stale_signature_is_refused(self) -> None:
        assert self.replay_window is not None
        body, window = self._body(), timedelta(seconds=self.replay_window)
        conn = self._connector()
        conn.verify(self._signed(body, at=NOW - window / 2), body, NOW)
        with pytest.raises(SignatureError):
            conn.verify(self._signed(body, at=NOW - window - timedelta(seconds=60)), body, NOW)
