"""Console users: who may sign in to the web console, and with which role.

An admin configures them with ``tco-bridge users add NAME --role admin|lead|agent``
(:mod:`tco_bridge.cli.users`), which
prints a sign-in token once; only a salted hash of it is kept. Roles rank
``agent < lead < admin``: an agent sees the tickets they own and a ticket's timeline, a lead
also the team's overdue updates, stalled escalations and metrics, an admin also failed
write-backs (retry, purge).

Redis key:

    tco:users    hash, name → JSON {name, role, agent, token_hash}
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass

import redis
from werkzeug.security import check_password_hash, generate_password_hash

from . import keys

USERS = keys.USERS
ROLES = ("agent", "lead", "admin")
_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    #: The agent's id in the ticket tools ("Owned by me" lists what this id owns).
    agent: str
    token_hash: str = ""

    def may(self, role: str) -> bool:
        """Whether this user's role is ``role`` or ranks above it."""
        return ROLES.index(self.role) >= ROLES.index(role)


def add_user(client: redis.Redis, name: str, role: str, agent: str | None = None) -> str:
    """Create (or replace) a user; return their new sign-in token (shown once, kept hashed)."""
    if not _NAME.match(name):
        raise ValueError(f"bad user name {name!r}: letters, digits and . _ @ - (up to 64)")
    if role not in ROLES:
        raise ValueError(f"bad role {role!r}: one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(18)
    user = User(name, role, agent or name, generate_password_hash(token))
    client.hset(USERS, name, json.dumps(asdict(user)))
    return token


def get_user(client: redis.Redis, name: str) -> User | None:
    raw = client.hget(USERS, name)
    return User(**json.loads(raw)) if raw else None


def check_token(client: redis.Redis, name: str, token: str) -> User | None:
    """The user when ``token`` is theirs, else None (unknown name or wrong token alike)."""
    user = get_user(client, name)
    if user is None or not token or not check_password_hash(user.token_hash, token):
        return None
    return user


def all_users(client: redis.Redis) -> list[User]:
    return sorted((User(**json.loads(v)) for v in client.hvals(USERS)), key=lambda u: u.name)


def remove_user(client: redis.Redis, name: str) -> bool:
    return bool(client.hdel(USERS, name))
