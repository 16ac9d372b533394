"""The figures an operator watches, kept in one Prometheus registry per app and read by /metrics."""

from __future__ import annotations

from contextlib import AbstractContextManager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# From a quick local write (about a millisecond) to the two seconds after which a phone gives up
# waiting on its socket and posts the ballot again.
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0)
SCREENS = ("board", "console")
VIA = ("socket", "http")


class Metrics:
    """One app's counters, gauges and histograms, and the process figures, in its own registry
    (so that two apps in one process, as in the tests, never share a count)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.phones = Gauge(
            "facilitation_phones_connected",
            "Participants' phones with their live connection open.",
            registry=registry,
        )
        self.screens = Gauge(
            "facilitation_screens_connected",
            "Live boards and facilitator consoles with their connection open.",
            ["screen"],
            registry=registry,
        )
        self.ballots = Counter(
            "facilitation_ballots_acknowledged",
            "Ballots and ideas acknowledged to participants as saved (a re-sent one counts again).",
            registry=registry,
        )
        self.ack_latency = Histogram(
            "facilitation_ack_latency_seconds",
            "From receiving a ballot to sending its acknowledgement, by websocket or plain HTTP.",
            ["via"],
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self.dropped = Counter(
            "facilitation_slow_clients_dropped",
            "Screens and phones dropped because they fell too far behind the live updates.",
            registry=registry,
        )
        self.wrong_codes = Counter(
            "facilitation_join_codes_wrong",
            "Join codes typed or asked for that no workshop has.",
            registry=registry,
        )
        self.paced = Counter(
            "facilitation_join_lookups_paced",
            "Lookups of a join code that waited their turn, coming from an address that guesses.",
            registry=registry,
        )
        self.sockets_refused = Counter(
            "facilitation_sockets_refused",
            "Live sockets refused because their address already held its cap of open ones.",
            registry=registry,
        )
        self.rounds_open = Gauge(
            "facilitation_rounds_open", "Rounds open for voting.", registry=registry
        )
        for screen in SCREENS:  # so that every series is there from the first scrape
            self.screens.labels(screen)
        for via in VIA:
            self.ack_latency.labels(via)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)

    def connected(self, audience: str) -> AbstractContextManager:
        """Counts a live connection while it lasts: 'phones', or a screen ('board', 'console')."""
        gauge = self.phones if audience == "phones" else self.screens.labels(audience)
        return gauge.track_inprogress()

    def acknowledged(self) -> None:
        """A ballot (or idea) was saved and the participant is told so."""
        self.ballots.inc()

    def ack_sent(self, via: str, seconds: float) -> None:
        """An acknowledgement went out this long after its ballot arrived."""
        self.ack_latency.labels(via).observe(seconds)

    def wrong_code(self) -> None:
        """Someone asked for a join code that no workshop has."""
        self.wrong_codes.inc()

    def paced_lookup(self) -> None:
        """A join code lookup waited its turn behind a guessing address."""
        self.paced.inc()

    def socket_refused(self) -> None:
        """A live socket was refused: its address held its cap of open ones."""
        self.sockets_refused.inc()

    def dropped_slow_client(self) -> None:
        """A subscriber fell behind by a whole queue and is being dropped."""
        self.dropped.inc()

    def exposition(self, rounds_open: int) -> bytes:
        """The text Prometheus scrapes, with the figures read at scrape time set first."""
        self.rounds_open.set(rounds_open)
        return generate_latest(self.registry)
