"""Store: the database and one repository per concept, the only way the app reaches either.

Every repository method is one transaction (or one consistent read) on a ``db.Database``, SQLite
or PostgreSQL as the database URL says; callers go through ``store.<repository>``.
"""

from __future__ import annotations

from collections.abc import Sequence

from facilitation.storage.ballots import Ballots
from facilitation.storage.db import Database, Migration, engine_of
from facilitation.storage.disclosures import Disclosures
from facilitation.storage.erasures import Erasures
from facilitation.storage.guard import Health
from facilitation.storage.ideas import Ideas
from facilitation.storage.kiosks import Kiosks
from facilitation.storage.languages import LanguageChoices
from facilitation.storage.live import Live
from facilitation.storage.migrations import MIGRATIONS
from facilitation.storage.options import Options
from facilitation.storage.organisations import Organisations
from facilitation.storage.pact import Pact
from facilitation.storage.plans import Plans
from facilitation.storage.pools import Pools
from facilitation.storage.postgres import PostgresDatabase
from facilitation.storage.profiles import Profiles
from facilitation.storage.recruitment import Recruitment
from facilitation.storage.rounds import Rounds
from facilitation.storage.sqlite import SQLiteDatabase
from facilitation.storage.translations import Translations
from facilitation.storage.users import Users
from facilitation.storage.workshops import Workshops


def open_database(
    url: str, *, durability: str = "normal", migrations: Sequence[Migration] = ()
) -> Database:
    """A Database for a URL (or a bare SQLite path), not yet opened."""
    engine, target = engine_of(url)
    if engine == "postgresql":
        return PostgresDatabase(target, migrations=migrations)
    return SQLiteDatabase(target, durability=durability, migrations=migrations)


class Store:
    """The database: open() it in the app's lifespan, close() it on the way out."""

    migration_names = tuple(name for name, _sql in MIGRATIONS)

    def __init__(self, database: str, *, durability: str = "normal") -> None:
        """``database``: a URL (sqlite:///PATH or postgresql://...) or a SQLite file's path."""
        self._db = open_database(database, durability=durability, migrations=MIGRATIONS)
        self.organisations = Organisations(self._db)
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
        self.kiosks = Kiosks(self._db)
        self.disclosures = Disclosures(self._db)
        self.erasures = Erasures(self._db)
        self.languages = LanguageChoices(self._db)
        self.translations = Translations(self._db)
        self.recruitment = Recruitment(self._db)

    async def open(self) -> Store:
        """Connect, apply pending migrations."""
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
        """The engine's own check of the data: "ok" when it is sound."""
        return await self._db.integrity_check()
