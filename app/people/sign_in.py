"""Password sign-in with limits every server process shares: failed attempts are rows in the
store's database (``sign_in_failures``), so two processes (or twenty) count the same failures.

Three limits, each over a sliding window (15 minutes by default):

- **one account from one address** (``pair``, 5 failures): that pair waits;
- **one address across accounts** (``address``, 10 failures: a password spray): that address waits;
- **one account from any address** (``account``, 10 failures): the account is *locked* — a
  ``Person.SignInLocked`` event in the ledger, with the time it runs out (15 minutes) — and
  every address waits until then or until an admin unlocks it (``Person.SignInUnlocked``).
  An unknown email is refused the same way for the same time (no event: there is nobody to
  lock), so the answers do not tell which accounts exist.

Every refusal says the same thing: too many failed sign-ins, try again in N minutes. A success
clears the account's and the pair's failures (not the address's: one good account does not
reset a spray). Times come from ``clock`` (seconds, the wall clock), not the domain clock that
tests and demos move to set business time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)

from domain.people.person import Person

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from app.people.service import PeopleService

metadata = MetaData()
failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(8), nullable=False),
    Column("key", String(400), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_sign_in_failures_scope_key_at", "scope", "key", "at"),
)


@dataclass(frozen=True)
class Limits:
    """How many failures each scope allows in ``window`` seconds, and how long a lock lasts."""

    pair: int = 5
    address: int = 10
    account: int = 10
    window: float = 15 * 60
    lock: float = 15 * 60


@dataclass(frozen=True)
class Attempt:
    """The outcome: the person signed in, or how long to wait (0: the password was wrong)."""

    person_id: str | None = None
    wait_seconds: int = 0


class PasswordSignIn:
    """Checks the limits, the lock and the password; records failures and lock-outs."""

    def __init__(self, engine: Engine, people: PeopleService, limits: Limits | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine, self.people, self.clock = engine, people, clock
        self.limits = limits or Limits()
        metadata.create_all(engine)

    def attempt(self, email: str, password: str, address: str) -> Attempt:
        """Try ``email`` and ``password`` from ``address``."""
        email, moment = email.strip().lower(), self.clock()
        wait = max(self._wait(moment, email, address), self._locked_for(email, moment))
        if wait:
            return Attempt(wait_seconds=wait)
        person_id = self.people.authenticate_password(email, password)
        if person_id is not None:
            self._clear(email)
            return Attempt(person_id=person_id)
        self._failed(moment, email, address)
        return Attempt()

    def unlock(self, person_id: str) -> None:
        """Lift a person's lock now (admins only): an event, and their failures forgotten."""
        email = self.people.unlock_sign_in(person_id)
        self._clear(email)

    def _wait(self, moment: float, email: str, address: str) -> int:
        """Seconds until no scope is over its limit (0 when none is)."""
        scopes = (("pair", f"{email}\n{address}", self.limits.pair),
                  ("address", address, self.limits.address),
                  ("account", email, self.limits.account))
        since = moment - self.limits.window
        wait = 0.0
        with self.engine.connect() as conn:
            for scope, key, limit in scopes:
                times = list(conn.scalars(
                    select(failures.c.at).where(failures.c.scope == scope, failures.c.key == key,
                                                failures.c.at > since)
                    .order_by(failures.c.at.desc()).limit(limit)))
                if len(times) >= limit:  # waits until the oldest of the last ``limit`` expires
                    wait = max(wait, times[-1] + self.limits.window - moment)
        return math.ceil(wait) if wait > 0 else 0

    def _locked_for(self, email: str, moment: float) -> int:
        person_id = self.people.person_id_by_email(email)
        if person_id is None:
            return 0
        person = self.people.ledger.load(Person, person_id)
        at = datetime.fromtimestamp(moment, timezone.utc)
        if not person.locked_at(at):
            return 0
        return math.ceil((person.locked_until - at).total_seconds())  # type: ignore[operator]

    def _failed(self, moment: float, email: str, address: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(failures).where(failures.c.at <= moment - self.limits.window))
            conn.execute(insert(failures), [
                {"scope": "pair", "key": f"{email}\n{address}", "at": moment},
                {"scope": "address", "key": address, "at": moment},
                {"scope": "account", "key": email, "at": moment}])
            count = conn.scalar(select(func.count()).select_from(failures).where(
                failures.c.scope == "account", failures.c.key == email,
                failures.c.at > moment - self.limits.window))
        if count is not None and count >= self.limits.account:
            at = datetime.fromtimestamp(moment, timezone.utc)
            until = at + timedelta(seconds=self.limits.lock)
            if self.people.lock_sign_in(email, at, until, count):
                self._clear(email)  # the lock (an event) holds the account now

    def _clear(self, email: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(failures).where(
                ((failures.c.scope == "account") & (failures.c.key == email))
                | ((failures.c.scope == "pair")
                   & failures.c.key.startswith(f"{email}\n", autoescape=True))))
