"""The address join links and QR codes give phones: one a phone can open, never 0.0.0.0.

In order: the configured public URL; the address the server is bound to when that is a real one;
this machine's address on the local network when it listens on all of them; the address a signed-in
facilitator reached it by; and last this machine's own loopback address, which only works on the
computer itself, so the console says so.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from facilitation.core.i18n import N_

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection

WILDCARDS = frozenset({"", "0.0.0.0", "::", "*"})
# Private addresses to "connect" a UDP socket to: that only asks the kernel which route and local
# address it would use; a UDP connect sends no packet.
PROBES = ("10.254.254.254", "192.168.254.254", "172.31.254.254")
ADVICE = {
    "loopback": N_(
        "Phones cannot open this address: it is this computer's own. Start the server with "
        "--host 0.0.0.0 so that phones on the same network can reach it, or set --public-url "
        "to the address people use."
    ),
    "no_network": N_(
        "Phones cannot open this address: it is this computer's own, and no network address was "
        "found. Set --public-url to the address phones use, such as http://192.168.1.20:8000."
    ),
}
HOST_HEADER = re.compile(r"[A-Za-z0-9.\-]{1,253}(:\d{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?")


@dataclass(frozen=True, slots=True)
class JoinAddress:
    """Where phones are sent: ``base`` is scheme://host[:port] without a trailing slash."""

    base: str
    reachable: bool  # False when it is this machine's loopback address, which phones cannot open
    source: str  # public_url, bound, network, browser, or (unreachable) loopback or no_network

    @property
    def advice(self) -> str:
        """What to do when phones cannot open this address; empty when they can."""
        return ADVICE.get(self.source, "")


def host_part(authority: str) -> str:
    """The host of ``host``, ``host:port``, ``[v6]`` or ``[v6]:port``, without brackets."""
    if authority.startswith("["):
        return authority[1 : authority.find("]")] if "]" in authority else authority
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def is_wildcard(host: str) -> bool:
    """True for an address that means 'every interface', which no phone can open."""
    host = host.strip("[]")
    if host in WILDCARDS:
        return True
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    """True for this machine's own address (127.0.0.0/8, ::1, localhost)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def authority(host: str, port: int) -> str:
    """host:port, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def network_address(addresses: Iterable[str]) -> str | None:
    """The address a phone on the same network can reach, from this machine's addresses:
    a private IPv4 one first, then any other IPv4, then a global IPv6; never loopback,
    link-local or unspecified."""
    usable = []
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
            continue
        usable.append(ip)
    for wanted in (
        lambda ip: ip.version == 4 and ip.is_private,
        lambda ip: ip.version == 4,
        lambda ip: ip.version == 6,
    ):
        found = next((ip for ip in usable if wanted(ip)), None)
        if found is not None:
            return str(found)
    return None


def local_addresses() -> list[str]:
    """This machine's addresses on its networks, as the kernel would choose them for a reply."""
    found: list[str] = []
    for probe in PROBES:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.connect((probe, 9))
                found.append(udp.getsockname()[0])
        except OSError:  # no route to that network: try the next
            continue
    return list(dict.fromkeys(found))


def choose(
    public_url: str, host: str, port: int, addresses: Iterable[str], browser: str | None = None
) -> JoinAddress:
    """The join address for a server bound to ``host``:``port``; ``addresses`` are this machine's
    own and ``browser`` is scheme://host[:port] as a facilitator's browser reached the server."""
    if public_url.strip():
        return JoinAddress(public_url.strip().rstrip("/"), True, "public_url")
    if not is_wildcard(host) and not is_loopback(host):
        return JoinAddress(f"http://{authority(host.strip('[]'), port)}", True, "bound")
    if is_wildcard(host):
        found = network_address(addresses)
        if found:
            return JoinAddress(f"http://{authority(found, port)}", True, "network")
    if browser:
        return JoinAddress(browser, True, "browser")
    if is_wildcard(host):
        return JoinAddress(f"http://{authority('127.0.0.1', port)}", False, "no_network")
    loopback = "127.0.0.1" if host == "localhost" else host.strip("[]")
    return JoinAddress(f"http://{authority(loopback, port)}", False, "loopback")


def browser_base(conn: HTTPConnection) -> str | None:
    """scheme://host as a request or websocket reached the server (through a trusted proxy, as
    the client saw it), or None when that is a loopback or wildcard address or not a host."""
    raw = conn.headers.get("host", "")
    if not HOST_HEADER.fullmatch(raw):
        return None
    host = host_part(raw)
    if is_loopback(host) or is_wildcard(host):
        return None
    scheme = "https" if conn.url.scheme in ("https", "wss") else "http"
    return f"{scheme}://{raw.lower()}"


class JoinAddresses:
    """The join address of one running app: this machine's addresses are looked up again at
    most every ``refresh`` seconds (a laptop may change networks), and the address a signed-in
    facilitator last used is kept for the live board, which is rendered without a request."""

    def __init__(
        self,
        public_url: str,
        host: str,
        port: int,
        discover: Callable[[], list[str]] = local_addresses,
        refresh: float = 30.0,
    ) -> None:
        self.public_url = public_url
        self.host = host
        self.port = port
        self.discover = discover
        self.refresh = refresh
        self._addresses: list[str] = []
        self._looked = float("-inf")
        self._browser: str | None = None

    def _local(self) -> list[str]:
        if not is_wildcard(self.host) or self.public_url.strip():
            return []
        now = time.monotonic()
        if now - self._looked >= self.refresh:
            self._addresses, self._looked = self.discover(), now
        return self._addresses

    def address(self, conn: HTTPConnection | None = None) -> JoinAddress:
        """The address for a page (``conn`` is its request or websocket) or, without one, for a
        push. Only a signed-in facilitator's address is remembered: anyone else could send a
        made-up Host header."""
        seen = None
        if conn is not None:
            seen = browser_base(conn)
            if seen and conn.scope.get("user") is not None:
                self._browser = seen
        return choose(self.public_url, self.host, self.port, self._local(), seen or self._browser)

    def url(self, code: str, conn: HTTPConnection | None = None) -> str:
        """The link a phone opens to join the workshop with this code."""
        return f"{self.address(conn).base}/w/{code}"
