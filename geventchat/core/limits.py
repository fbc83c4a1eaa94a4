"""Admission: the server's client limit and connections per address."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable

SERVER_FULL = "Server is full"
TOO_MANY_FROM_HOST = "Too many connections from your host"


class ConnectionLimits:
    """Counts connections across every listener; refuses past the server's and an address's limit.

    Loopback is exempt from the per-address limit unless `limit_loopback`: on
    a shared shell host every user connects from 127.0.0.1.
    """

    def __init__(self, max_clients: int, max_per_ip: int, exempt: Iterable[str] = (),
                 limit_loopback: bool = False) -> None:
        self.per_ip: Counter[str] = Counter()
        self.total = 0
        self.retune(max_clients, max_per_ip, exempt, limit_loopback)

    def retune(self, max_clients: int, max_per_ip: int, exempt: Iterable[str] = (),
               limit_loopback: bool = False) -> None:
        """New limits (a reload): they apply to the next connection; nobody connected is closed."""
        self.max_clients = max_clients
        self.max_per_ip = max_per_ip
        self.exempt = [ipaddress.ip_network(cidr, strict=False) for cidr in exempt]
        self.limit_loopback = limit_loopback

    def _exempt(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_loopback and not self.limit_loopback:
            return True
        return any(address in network for network in self.exempt)

    def admit(self, ip: str) -> str | None:
        """Count a new connection from `ip`, or return why it is refused."""
        if self.total >= self.max_clients:
            return SERVER_FULL
        if self.per_ip[ip] >= self.max_per_ip and not self._exempt(ip):
            return TOO_MANY_FROM_HOST
        self.per_ip[ip] += 1
        self.total += 1
        return None

    def release(self, ip: str) -> None:
        self.total -= 1
        self.per_ip[ip] -= 1
        if self.per_ip[ip] <= 0:
            del self.per_ip[ip]
