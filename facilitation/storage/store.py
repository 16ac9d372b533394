"""Store: the database and one repository per concept, the only way the app reaches either.

Every repository method is one transaction (or one consistent read), through the single writer
and the reader connections of ``db.Database``; callers go through ``store.<repository>``.
"""

from __future__ import annotations

from facilitation.storage.ballots import Ballots
from facilitation.storage.db import Database
from facilitation.storage.guard import Health
from facilitation.storage.ideas import Ideas
from facilitation.storage.live import Live
from facilitation.storage.migrations import MIGRATIONS
from facilitation.storage.options import Options
from facilitation.storage.pact import Pact
from facilitation.storage.plans import Plans
from facilitation.storage.pools import Pools
from facilitation.storage.profiles import Profiles
from facilitation.storage.recruitment import Recruitment
from facilitation.storage.rounds import Rounds
from facilitation.storage.users import Users
from facilitation.storage.workshops import Workshops


class Store:
    """The database: open() it in the app's lifespan, close() it on the way out."""

    migration_names = tuple(name for name, _sql in MIGRATIONS)

    def __init__(self, path: str, *, durability: str = "normal") -> None:
        self._db = Database(path, durability=durability, migrations=MIGRATIONS)
        self.users = Users(self._db)
        self.workshops = Workshops(self._db)
        self.options = Options(self._db)
        self.rounds = Rounds(self._db)
        self.ballots = Ballots(self._db)
        self.live = Live(self._db)
        self.ideas = Ideas(self._db)
        self.plans = Plans(self._db)
        self.profiles = Profiles(self._db)
        self.pools = Pools(self._db)
        self.pact = Pact(self._db)
        self.recruitment = Recruitment(self._db)

    async def open(self) -> Store:
        """Connect, switch to WAL, apply pending migrations."""
        await self._db.open()
        return self

    async def close(self) -> None:
        """Close the connections."""
        await self._db.close()

    async def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in the database, in order."""
        return [r[0] for r in await self._db.all("SELECT name FROM migrations ORDER BY name")]

    @property
    def upgrade_backup(self) -> str | None:
        """The copy taken before open() applied migrations, if it did."""
        return self._db.upgrade_backup

    async def health(self) -> Health:
        """Whether the database can be read and written at this release's migration level."""
        return await self._db.health()

    async def integrity_check(self) -> str:
        """SQLite's own check of the file: "ok" when it is sound."""
        verdict: str = await self._db.value("PRAGMA integrity_check")
        return verdict
