"""The demo's timeline: every area's demo data told as one chronological story.

Each area's loader adds *scenes* to a :class:`Story`: callables with the moment they happen at.
:meth:`Story.run` plays them sorted by that moment under one monotonic demo clock, so the
events are appended in time order (recorded times never go backwards in the log) and an as-of
view of any day of the story shows the ledger as it stood then. The story starts
``STORY_DAYS`` days before the real now and its scenes happen on the days before today, so
nothing is recorded in the future; plans made in the story (rotation shifts, meetings, reviews)
may of course point past the real now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable

from domain.base import using_clock

if TYPE_CHECKING:
    from app.bootstrap import Services

STORY_DAYS = 30


class DemoClock:
    """A clock the demo moves by hand; it never goes backwards."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> datetime:
        """Move the clock forward."""
        self.now += timedelta(minutes=minutes)
        return self.now

    def move_to(self, moment: datetime) -> datetime:
        """Move the clock to ``moment`` (or stay, if it is already later)."""
        self.now = max(self.now, moment)
        return self.now


@dataclass(frozen=True)
class Scene:
    """Something that happens in the story at ``at``."""

    at: datetime
    play: Callable[[], None]


class Story:
    """The demo story: scenes on the ``STORY_DAYS`` days before ``end`` (the real now)."""

    def __init__(self, services: Services, ids: dict[str, str], end: datetime) -> None:
        self.services = services
        self.ids = ids
        self.end = end
        self.first_day = (end - timedelta(days=STORY_DAYS)).replace(
            hour=0, minute=0, second=0, microsecond=0)
        self.clock = DemoClock(self.first_day)
        self.scenes: list[Scene] = []

    @property
    def today(self) -> datetime:
        """Midnight of the real today (scenes happen before it)."""
        return self.end.replace(hour=0, minute=0, second=0, microsecond=0)

    def day(self, number: int, hour: int = 9, minute: int = 0) -> datetime:
        """A moment on day ``number`` of the story (0 .. STORY_DAYS - 1; the last is yesterday)."""
        return self.first_day + timedelta(days=number, hours=hour, minutes=minute)

    def add(self, at: datetime, play: Callable[[], None]) -> None:
        """Add a scene; scenes at the same moment play in the order they were added."""
        self.scenes.append(Scene(at, play))

    def scene(self, at: datetime) -> Callable[[Callable[[], None]], Callable[[], None]]:
        """Decorator form of :meth:`add`."""
        def register(play: Callable[[], None]) -> Callable[[], None]:
            self.add(at, play)
            return play
        return register

    def run(self) -> None:
        """Play every scene in time order under the demo clock, projecting after each."""
        with using_clock(self.clock):
            for scene in sorted(self.scenes, key=lambda s: s.at):
                self.clock.move_to(min(scene.at, self.end))
                scene.play()
                self.services.projections.catch_up()
        self.scenes.clear()
