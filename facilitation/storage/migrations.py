"""The schema's history: every migration step, by name, in the order it is applied.

A step's name is recorded in the database once it has run, so an existing database upgrades by
running only the steps it lacks; a step is never edited or reordered once released (the SQL below
is what each step ran when it was written, even where the code has moved on since). The runners
are the engines' own: SQLite's turns foreign keys off around the steps, as its procedure for
rebuilding a table asks, and checks them all before committing.

One list serves both engines. A step is one text for both when its SQL is portable: write it as
for SQLite, in standard SQL (``INTEGER PRIMARY KEY`` for an id, ``REAL`` for a time, ``TEXT
COLLATE NOCASE``, ``json_valid()`` in a CHECK, ``ON CONFLICT`` rather than ``INSERT OR``), and the
PostgreSQL engine runs it as it is after its own translation of those types
(``storage.postgres.ddl``). A step that cannot be (a table rebuilt by SQLite's procedure, a
SQLite-only function) is ``Engines(sqlite=..., postgresql=...)``, under the same name.
"""

from __future__ import annotations

from facilitation.storage.db import Engines, Migration

# 0001: PostgreSQL cannot refer to a table made later in the same step: the workshop's current
# round gets its foreign key once the rounds table exists.
_INITIAL = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE workshops (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            date TEXT NOT NULL DEFAULT '',
            place TEXT NOT NULL DEFAULT '',
            revision INTEGER NOT NULL DEFAULT 0,
            current_round_id INTEGER REFERENCES rounds(id),
            created_by INTEGER REFERENCES users(id),
            created_at REAL NOT NULL
        );
        CREATE TABLE options (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL,
            withdrawn INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX options_workshop ON options(workshop_id, position);
        CREATE TABLE rounds (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            title TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('dots', 'rank')),
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
            dots INTEGER NOT NULL DEFAULT 5 CHECK (dots BETWEEN 1 AND 100),
            max_per_option INTEGER NOT NULL DEFAULT 3 CHECK (max_per_option >= 1),
            must_use_all INTEGER NOT NULL DEFAULT 0,
            top_k INTEGER CHECK (top_k IS NULL OR top_k >= 1),
            hidden INTEGER NOT NULL DEFAULT 0,
            revealed INTEGER NOT NULL DEFAULT 0,
            timer_seconds INTEGER,
            ends_at REAL,
            opened_at REAL,
            closed_at REAL,
            created_at REAL NOT NULL
        );
        CREATE INDEX rounds_workshop ON rounds(workshop_id);
        CREATE TABLE round_options (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            option_id INTEGER NOT NULL REFERENCES options(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (round_id, option_id)
        );
        CREATE TABLE participants (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            token TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL DEFAULT '',
            joined_at REAL NOT NULL
        );
        CREATE INDEX participants_workshop ON participants(workshop_id);
        -- One row per participant and round: the schema, not only the code, keeps it single.
        CREATE TABLE ballots (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            payload TEXT NOT NULL,
            submitted_at REAL NOT NULL,
            revision INTEGER NOT NULL,
            PRIMARY KEY (round_id, participant_id)
        );
        -- Submissions already applied, so a ballot re-sent after a reconnect is stored once.
        CREATE TABLE submissions (
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            client_id TEXT NOT NULL,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            revision INTEGER NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (participant_id, client_id)
        );
        CREATE TABLE results (
            round_id INTEGER PRIMARY KEY REFERENCES rounds(id),
            snapshot TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        """
_INITIAL_PG = (
    _INITIAL.replace("current_round_id INTEGER REFERENCES rounds(id),", "current_round_id INTEGER,")
    + "ALTER TABLE workshops ADD FOREIGN KEY (current_round_id) REFERENCES rounds(id);\n"
)

# 0005: SQLite cannot change a CHECK constraint in place, so the rounds table is rebuilt with the
# new kinds; these are the columns it had before.
_ROUND_COLUMNS = (
    "id, workshop_id, title, kind, status, dots, max_per_option, must_use_all, top_k, hidden,"
    " revealed, timer_seconds, ends_at, opened_at, closed_at, created_at, cards_on_board"
)

_KINDS_REBUILD = f"""
        CREATE TABLE rounds_new (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            title TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('dots', 'rank', 'budget', 'ideas', 'rating')),
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
            dots INTEGER NOT NULL DEFAULT 5 CHECK (dots BETWEEN 1 AND 100),
            max_per_option INTEGER NOT NULL DEFAULT 3 CHECK (max_per_option >= 1),
            must_use_all INTEGER NOT NULL DEFAULT 0,
            top_k INTEGER CHECK (top_k IS NULL OR top_k >= 1),
            hidden INTEGER NOT NULL DEFAULT 0,
            revealed INTEGER NOT NULL DEFAULT 0,
            timer_seconds INTEGER,
            ends_at REAL,
            opened_at REAL,
            closed_at REAL,
            created_at REAL NOT NULL,
            cards_on_board INTEGER NOT NULL DEFAULT 0,
            budget INTEGER CHECK (budget IS NULL OR budget >= 1),
            budget_rule TEXT NOT NULL DEFAULT 'equal_shares'
                CHECK (budget_rule IN ('equal_shares', 'greedy')),
            categories TEXT NOT NULL DEFAULT '[]',
            CHECK (kind != 'budget' OR budget IS NOT NULL)
        );
        INSERT INTO rounds_new ({_ROUND_COLUMNS}) SELECT {_ROUND_COLUMNS} FROM rounds;
        DROP TABLE rounds;
        ALTER TABLE rounds_new RENAME TO rounds;
        CREATE INDEX rounds_workshop ON rounds(workshop_id);
"""
# PostgreSQL changes the constraint and adds the columns in place.
_KINDS_PG = """
        ALTER TABLE rounds DROP CONSTRAINT rounds_kind_check;
        ALTER TABLE rounds ADD CONSTRAINT rounds_kind_check
            CHECK (kind IN ('dots', 'rank', 'budget', 'ideas', 'rating'));
        ALTER TABLE rounds ADD COLUMN budget INTEGER CHECK (budget IS NULL OR budget >= 1);
        ALTER TABLE rounds ADD COLUMN budget_rule TEXT NOT NULL DEFAULT 'equal_shares'
            CHECK (budget_rule IN ('equal_shares', 'greedy'));
        ALTER TABLE rounds ADD COLUMN categories TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE rounds ADD CHECK (kind != 'budget' OR budget IS NOT NULL);
"""
_KINDS_REST = """\
        ALTER TABLE options ADD COLUMN cost INTEGER CHECK (cost IS NULL OR cost >= 0);
        ALTER TABLE participants ADD COLUMN paper INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX participants_paper ON participants(workshop_id, paper, display_name);
        CREATE TABLE ideas (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            text TEXT NOT NULL,
            original TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'hidden', 'merged')),
            merged_into INTEGER REFERENCES ideas(id),
            option_id INTEGER REFERENCES options(id),
            client_id TEXT NOT NULL,
            created_at REAL NOT NULL,
            -- A merged idea always says which idea it joined, and only a merged one does.
            CHECK ((status = 'merged') = (merged_into IS NOT NULL))
        );
        CREATE INDEX ideas_round ON ideas(round_id, status);
        """

# 0009: each voter's answers against the rounds already closed (as profiles.FREEZE_SELECT read
# them when the step was written).
_FREEZE_SELECT = """
    SELECT b.round_id, b.participant_id, a.question_id, a.choice_id FROM rounds r
    JOIN workshops w ON w.id = r.workshop_id
    JOIN ballots b ON b.round_id = r.id
    JOIN participants p ON p.id = b.participant_id
    JOIN profile_answers a ON a.respondent_id = p.respondent_id
    JOIN profile_questions q ON q.id = a.question_id AND q.programme_id = w.programme_id
"""

_REGISTERED = """
        -- The kinds of round are the registry's business (facilitation.kinds), not the schema's:
        -- the CHECK on kind goes, and each kind's own settings move into one JSON column, so a
        -- new kind of round needs no migration. Rebuilt by SQLite's procedure, as in 0005.
        CREATE TABLE rounds_new (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            title TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind != ''),
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
            hidden INTEGER NOT NULL DEFAULT 0,
            revealed INTEGER NOT NULL DEFAULT 0,
            timer_seconds INTEGER,
            ends_at REAL,
            opened_at REAL,
            closed_at REAL,
            created_at REAL NOT NULL,
            cards_on_board INTEGER NOT NULL DEFAULT 0,
            settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings))
        );
        INSERT INTO rounds_new (id, workshop_id, title, kind, status, hidden, revealed,
            timer_seconds, ends_at, opened_at, closed_at, created_at, cards_on_board, settings)
        SELECT id, workshop_id, title, kind, status, hidden, revealed, timer_seconds, ends_at,
            opened_at, closed_at, created_at, cards_on_board,
            CASE kind
                WHEN 'dots' THEN json_object('dots', dots, 'max_per_option', max_per_option,
                    'must_use_all', json(CASE WHEN must_use_all THEN 'true' ELSE 'false' END))
                WHEN 'rank' THEN json_object('top_k', top_k)
                WHEN 'budget' THEN json_object('budget', budget, 'rule', budget_rule)
                WHEN 'ideas' THEN json_object('categories', json(categories))
                ELSE '{}'
            END
        FROM rounds;
        DROP TABLE rounds;
        ALTER TABLE rounds_new RENAME TO rounds;
        CREATE INDEX rounds_workshop ON rounds(workshop_id);
        """
# PostgreSQL drops the CHECK and the old columns in place, building the JSON with its own
# functions (SQLite's json_object has no twin there).
_REGISTERED_PG = """
        ALTER TABLE rounds DROP CONSTRAINT rounds_kind_check;
        ALTER TABLE rounds ADD CONSTRAINT rounds_kind_check CHECK (kind != '');
        ALTER TABLE rounds ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'
            CHECK (json_valid(settings));
        UPDATE rounds SET settings = CASE kind
            WHEN 'dots' THEN json_build_object('dots', dots, 'max_per_option', max_per_option,
                'must_use_all', must_use_all <> 0)::text
            WHEN 'rank' THEN json_build_object('top_k', top_k)::text
            WHEN 'budget' THEN json_build_object('budget', budget, 'rule', budget_rule)::text
            WHEN 'ideas' THEN json_build_object('categories', categories::json)::text
            ELSE '{}'
        END;
        ALTER TABLE rounds DROP COLUMN dots, DROP COLUMN max_per_option,
            DROP COLUMN must_use_all, DROP COLUMN top_k, DROP COLUMN budget,
            DROP COLUMN budget_rule, DROP COLUMN categories;
"""


# 0013: an old free-text workshop date is kept as a date when it is one of two forms people
# typed: ISO (2025-06-14, what the date picker sends) or British day/month/year (14/06/2025).
# Checked character by character with portable SQL (LIKE's "_" is any one character).
def _digits(column: str, positions: tuple[int, ...]) -> str:
    return " AND ".join(f"substr({column}, {i}, 1) BETWEEN '0' AND '9'" for i in positions)


_ISO_DATE = f"date LIKE '____-__-__' AND {_digits('date', (1, 2, 3, 4, 6, 7, 9, 10))}"
_UK_DATE = f"date LIKE '__/__/____' AND {_digits('date', (1, 2, 4, 5, 7, 8, 9, 10))}"


MIGRATIONS: tuple[Migration, ...] = (
    ("0001_initial", Engines(_INITIAL, _INITIAL_PG)),
    (
        "0002_sessions",
        """
        -- Facilitator sign-ins held on the server, so signing out ends a copied cookie too.
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at REAL NOT NULL
        );
        CREATE INDEX sessions_user ON sessions(user_id);
        """,
    ),
    (
        "0003_programmes_needs_actions",
        """
        CREATE TABLE programmes (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            place TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            slug TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL
        );
        ALTER TABLE workshops ADD COLUMN programme_id INTEGER REFERENCES programmes(id);
        CREATE TABLE needs (
            id INTEGER PRIMARY KEY,
            programme_id INTEGER NOT NULL REFERENCES programmes(id),
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN
                ('proposed', 'prioritised', 'in_plan', 'done', 'not_possible')),
            status_reason TEXT NOT NULL DEFAULT '',
            override_score REAL CHECK (override_score IS NULL OR override_score BETWEEN 0 AND 1),
            override_reason TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL,
            created_at REAL NOT NULL,
            CHECK (override_score IS NULL OR override_reason != ''),
            CHECK (status != 'not_possible' OR status_reason != '')
        );
        CREATE INDEX needs_programme ON needs(programme_id, position);
        -- An option feeds at most one need.
        CREATE TABLE need_options (
            need_id INTEGER NOT NULL REFERENCES needs(id),
            option_id INTEGER NOT NULL UNIQUE REFERENCES options(id),
            PRIMARY KEY (need_id, option_id)
        );
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            programme_id INTEGER NOT NULL REFERENCES programmes(id),
            need_id INTEGER REFERENCES needs(id),
            what TEXT NOT NULL,
            who TEXT NOT NULL CHECK (who IN ('residents', 'staff', 'contractor', 'partnership')),
            owner TEXT NOT NULL DEFAULT '',
            due TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN
                ('planned', 'in_progress', 'done', 'stuck')),
            created_at REAL NOT NULL
        );
        CREATE INDEX actions_programme ON actions(programme_id);
        CREATE TABLE action_notes (
            id INTEGER PRIMARY KEY,
            action_id INTEGER NOT NULL REFERENCES actions(id),
            note TEXT NOT NULL,
            at REAL NOT NULL
        );
        """,
    ),
    (
        "0004_option_scope_and_cards",
        """
        ALTER TABLE options ADD COLUMN scope TEXT NOT NULL DEFAULT 'open'
            CHECK (scope IN ('open', 'within_limits', 'not_negotiable'));
        ALTER TABLE options ADD COLUMN limit_kind TEXT NOT NULL DEFAULT ''
            CHECK (limit_kind IN ('', 'budget', 'statutory', 'health_safety', 'lease', 'other'));
        ALTER TABLE options ADD COLUMN limit_text TEXT NOT NULL DEFAULT '';
        ALTER TABLE rounds ADD COLUMN cards_on_board INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE round_cards (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            position INTEGER NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (round_id, position)
        );
        """,
    ),
    ("0005_round_kinds", Engines(_KINDS_REBUILD + _KINDS_REST, _KINDS_PG + _KINDS_REST)),
    (
        "0006_people",
        """
        CREATE TABLE respondents (
            id INTEGER PRIMARY KEY,
            programme_id INTEGER NOT NULL REFERENCES programmes(id),
            token TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL
        );
        CREATE INDEX respondents_programme ON respondents(programme_id);
        ALTER TABLE participants ADD COLUMN respondent_id INTEGER REFERENCES respondents(id);
        CREATE INDEX participants_respondent ON participants(respondent_id);
        CREATE TABLE profile_questions (
            id INTEGER PRIMARY KEY,
            programme_id INTEGER NOT NULL REFERENCES programmes(id),
            label TEXT NOT NULL,
            position INTEGER NOT NULL,
            retired INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        );
        CREATE INDEX profile_questions_programme ON profile_questions(programme_id, position);
        CREATE TABLE profile_choices (
            id INTEGER PRIMARY KEY,
            question_id INTEGER NOT NULL REFERENCES profile_questions(id),
            label TEXT NOT NULL,
            position INTEGER NOT NULL,
            retired INTEGER NOT NULL DEFAULT 0,
            UNIQUE (question_id, id)
        );
        -- The pair keys below make the schema refuse an answer with another question's choice.
        -- No row: the question was skipped. A row with no choice: "prefer not to say".
        CREATE TABLE profile_answers (
            respondent_id INTEGER NOT NULL REFERENCES respondents(id),
            question_id INTEGER NOT NULL REFERENCES profile_questions(id),
            choice_id INTEGER,
            answered_at REAL NOT NULL,
            PRIMARY KEY (respondent_id, question_id),
            FOREIGN KEY (question_id, choice_id) REFERENCES profile_choices(question_id, id)
        );
        CREATE INDEX profile_answers_question ON profile_answers(question_id, choice_id);
        -- Head counts or percentages as the organiser gave them; shares are worked out on reading.
        CREATE TABLE place_makeup (
            question_id INTEGER NOT NULL REFERENCES profile_questions(id),
            choice_id INTEGER NOT NULL,
            amount REAL NOT NULL CHECK (amount >= 0),
            PRIMARY KEY (question_id, choice_id),
            FOREIGN KEY (question_id, choice_id) REFERENCES profile_choices(question_id, id)
        );
        CREATE TABLE pools (
            id INTEGER PRIMARY KEY,
            programme_id INTEGER NOT NULL REFERENCES programmes(id),
            title TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX pools_programme ON pools(programme_id);
        CREATE TABLE volunteers (
            id INTEGER PRIMARY KEY,
            pool_id INTEGER NOT NULL REFERENCES pools(id),
            name TEXT NOT NULL,
            email TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            household TEXT NOT NULL DEFAULT '',
            answers TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(answers))
        );
        CREATE INDEX volunteers_pool ON volunteers(pool_id);
        CREATE TABLE panels (
            id INTEGER PRIMARY KEY,
            pool_id INTEGER NOT NULL REFERENCES pools(id),
            size INTEGER NOT NULL CHECK (size >= 1),
            seed TEXT NOT NULL,
            quotas TEXT NOT NULL CHECK (json_valid(quotas)),
            household_rule INTEGER NOT NULL,
            result TEXT NOT NULL CHECK (json_valid(result)),
            created_at REAL NOT NULL
        );
        CREATE INDEX panels_pool ON panels(pool_id);
        """,
    ),
    (
        "0007_room_on_board",
        """
        CREATE TABLE room_on_board (
            workshop_id INTEGER PRIMARY KEY REFERENCES workshops(id)
        );
        """,
    ),
    (
        "0008_pact",
        """
        ALTER TABLE options ADD COLUMN pact TEXT NOT NULL DEFAULT ''
            CHECK (pact IN ('', 'power', 'accountability', 'connection', 'trust'));
        CREATE TABLE pact_statements (
            programme_id INTEGER NOT NULL REFERENCES programmes(id),
            dimension TEXT NOT NULL
                CHECK (dimension IN ('power', 'accountability', 'connection', 'trust')),
            statement TEXT NOT NULL CHECK (statement != ''),
            PRIMARY KEY (programme_id, dimension)
        );
        """,
    ),
    (
        "0009_round_answers",
        f"""
        CREATE TABLE round_answers (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            question_id INTEGER NOT NULL REFERENCES profile_questions(id),
            choice_id INTEGER,
            PRIMARY KEY (round_id, participant_id, question_id),
            FOREIGN KEY (question_id, choice_id) REFERENCES profile_choices(question_id, id)
        );
        CREATE INDEX round_answers_question ON round_answers(question_id, choice_id);
        -- Rounds closed before this step are frozen as their voters answer now: the nearest
        -- there is to the moment they closed, and from here on it holds still.
        INSERT INTO round_answers (round_id, participant_id, question_id, choice_id)
        {_FREEZE_SELECT} WHERE r.status = 'closed';
        """,
    ),
    ("0010_round_kinds_registered", Engines(_REGISTERED, _REGISTERED_PG)),
    (
        "0011_disclosures",
        """
        -- What a round has shown of its voters, so that nothing shown later can be combined
        -- with it to single anyone out (facilitation.people.disclosure states the rule).
        -- A round's split basis: fixed the first time its results are split by group; the
        -- ballots are copied as they stood then, and its frozen answers stop moving.
        CREATE TABLE split_bases (
            round_id INTEGER PRIMARY KEY REFERENCES rounds(id),
            fixed_at REAL NOT NULL,
            withheld TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE split_ballots (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            payload TEXT NOT NULL,
            PRIMARY KEY (round_id, participant_id)
        );
        -- Each question a round's results have been split by (shown or downloaded).
        CREATE TABLE split_releases (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            question_id INTEGER NOT NULL REFERENCES profile_questions(id),
            released_at REAL NOT NULL,
            PRIMARY KEY (round_id, question_id)
        );
        -- Rounds whose ballots have gone out one by one (the ballots CSV, the JSON files, the
        -- workbook): such a round is never split by group.
        CREATE TABLE ballot_releases (
            round_id INTEGER PRIMARY KEY REFERENCES rounds(id),
            released_at REAL NOT NULL
        );
        """,
    ),
    (
        "0012_erasures",
        """
        -- Who was erased is not kept: only that someone was, where, when, by whom, and how
        -- many of each kind of record went. workshop_id and pool_id are plain numbers, so that
        -- deleting a pool later keeps the record that its people were erased.
        CREATE TABLE erasures (
            id INTEGER PRIMARY KEY,
            subject TEXT NOT NULL CHECK (subject IN ('participant', 'volunteer', 'contacts')),
            workshop_id INTEGER,
            pool_id INTEGER,
            erased_by TEXT NOT NULL,
            erased_at REAL NOT NULL,
            counts TEXT NOT NULL
        );
        CREATE INDEX erasures_workshop ON erasures(workshop_id);
        CREATE INDEX erasures_pool ON erasures(pool_id);
        -- An erased participant is a nameless stand-in holding their anonymous ballots; an
        -- erased volunteer keeps their number in the pool, so recorded draws still read right.
        ALTER TABLE participants ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE volunteers ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        "0013_languages",
        f"""
        -- The languages a workshop is run in: its main one (position 0), in which its options,
        -- rounds and cards are written, then the others its phones may choose; the board shows
        -- one or two of them (board 1 and 2: first and second column).
        CREATE TABLE workshop_languages (
            workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
            language TEXT NOT NULL CHECK (language != ''),
            position INTEGER NOT NULL,
            board INTEGER NOT NULL DEFAULT 0 CHECK (board IN (0, 1, 2)),
            PRIMARY KEY (workshop_id, language)
        );
        INSERT INTO workshop_languages (workshop_id, language, position, board)
            SELECT id, 'en', 0, 1 FROM workshops;
        -- A facilitator's own language for the console and the organiser's pages.
        CREATE TABLE user_languages (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            language TEXT NOT NULL CHECK (language != '')
        );
        -- Translations of what facilitators write, beside the originals. Each keeps the
        -- original's words it was made from (source, a JSON list), so a translation of words
        -- that have since changed is known to be out of date and is not shown.
        CREATE TABLE option_texts (
            option_id INTEGER NOT NULL REFERENCES options(id) ON DELETE CASCADE,
            language TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            limit_text TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,
            PRIMARY KEY (option_id, language)
        );
        CREATE TABLE round_texts (
            round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
            language TEXT NOT NULL,
            title TEXT NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (round_id, language)
        );
        -- By the card's place in its round: a round's cards are rewritten whenever it is edited.
        CREATE TABLE card_texts (
            round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            language TEXT NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (round_id, position, language)
        );
        CREATE TABLE question_texts (
            question_id INTEGER NOT NULL REFERENCES profile_questions(id) ON DELETE CASCADE,
            language TEXT NOT NULL,
            label TEXT NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (question_id, language)
        );
        CREATE TABLE choice_texts (
            choice_id INTEGER NOT NULL REFERENCES profile_choices(id) ON DELETE CASCADE,
            language TEXT NOT NULL,
            label TEXT NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (choice_id, language)
        );
        CREATE TABLE statement_texts (
            programme_id INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
            dimension TEXT NOT NULL
                CHECK (dimension IN ('power', 'accountability', 'connection', 'trust')),
            language TEXT NOT NULL,
            statement TEXT NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (programme_id, dimension, language)
        );
        -- A workshop's date becomes a date (ISO, YYYY-MM-DD); the old text stays in "date"
        -- only where it could not be read as one, so nothing anyone typed is lost.
        ALTER TABLE workshops ADD COLUMN held_on TEXT;
        UPDATE workshops SET held_on = date WHERE {_ISO_DATE};
        UPDATE workshops SET held_on = substr(date, 7, 4) || '-' || substr(date, 4, 2) || '-'
            || substr(date, 1, 2) WHERE held_on IS NULL AND {_UK_DATE};
        UPDATE workshops SET date = '' WHERE held_on IS NOT NULL;
        """,
    ),
    (
        "0014_pictures_and_door_tablets",
        """
        -- An option's picture: the version (a digest of the stored image) on the option, so that
        -- every read of an option knows whether it has one and its URL; the image itself, made
        -- smaller and stripped of its metadata, in a table of its own, kept in the database so
        -- that a backup holds it with everything else. BLOB is SQLite's name for the bytes
        -- (BYTEA in PostgreSQL).
        ALTER TABLE options ADD COLUMN picture TEXT NOT NULL DEFAULT '';
        CREATE TABLE option_pictures (
            option_id INTEGER PRIMARY KEY REFERENCES options(id),
            image BLOB NOT NULL,
            media_type TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            version TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        -- A shared tablet at the door, for residents without a phone: a facilitator unlocks it
        -- from the console, which leaves a secret token in the tablet's cookie, until locked.
        CREATE TABLE kiosks (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            token TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            locked_at REAL
        );
        CREATE INDEX kiosks_workshop ON kiosks(workshop_id);
        -- Where a participant takes part: their own phone, the tablet at the door (which one),
        -- or a paper sheet the facilitator copied. The paper flag stays, kept true for paper
        -- sheets, for the readers that ask only that.
        ALTER TABLE participants ADD COLUMN source TEXT NOT NULL DEFAULT 'phone';
        ALTER TABLE participants ADD COLUMN kiosk_id INTEGER REFERENCES kiosks(id);
        UPDATE participants SET source = 'paper' WHERE paper = 1;
        CREATE INDEX participants_source ON participants(workshop_id, source);
        """,
    ),
    (
        "0015_organisations",
        """
        -- Many organisations on one instance: workshops, programmes (and through them their
        -- pools) and accounts belong to one; an account has a role in it. Portable SQL only:
        -- the unique name is an index on lower(name), which both engines support.
        CREATE TABLE organisations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL CHECK (name != ''),
            created_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX organisations_name ON organisations (lower(name));
        ALTER TABLE users ADD COLUMN organisation_id INTEGER REFERENCES organisations(id);
        ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'organiser'
            CHECK (role IN ('organiser', 'facilitator', 'moderator'));
        -- A moderator's one workshop (the repository sets it for moderators and no one else).
        ALTER TABLE users ADD COLUMN workshop_id INTEGER REFERENCES workshops(id);
        -- The instance's administrators create organisations, whatever their role in their own.
        ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1));
        ALTER TABLE workshops ADD COLUMN organisation_id INTEGER REFERENCES organisations(id);
        ALTER TABLE programmes ADD COLUMN organisation_id INTEGER REFERENCES organisations(id);
        CREATE INDEX users_organisation ON users(organisation_id);
        CREATE INDEX workshops_organisation ON workshops(organisation_id);
        CREATE INDEX programmes_organisation ON programmes(organisation_id);
        -- An instance that already holds data becomes one organisation holding all of it, as
        -- old as its oldest record; every account becomes its organiser, and the first account
        -- also the instance's administrator. An empty database gets no organisation here.
        INSERT INTO organisations (name, created_at)
        SELECT 'Our organisation', COALESCE(
            (SELECT MIN(created_at) FROM users),
            (SELECT MIN(created_at) FROM workshops),
            (SELECT MIN(created_at) FROM programmes))
        WHERE EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM workshops)
            OR EXISTS (SELECT 1 FROM programmes);
        UPDATE users SET organisation_id = (SELECT MIN(id) FROM organisations);
        UPDATE workshops SET organisation_id = (SELECT MIN(id) FROM organisations);
        UPDATE programmes SET organisation_id = (SELECT MIN(id) FROM organisations);
        UPDATE users SET admin = 1 WHERE id = (SELECT MIN(id) FROM users);
        """,
    ),
    (
        "0016_panel_recruitment",
        """
        -- The workflow around a panel draw: addresses invited by lottery into a pool, each with
        -- a registration link, and every step after the draw (a member confirmed, withdrew, or
        -- an alternate seated), with its reason. Standard SQL only.
        CREATE TABLE invitation_draws (
            pool_id INTEGER PRIMARY KEY REFERENCES pools(id),
            seed TEXT NOT NULL,
            addresses INTEGER NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE invitations (
            id INTEGER PRIMARY KEY,
            pool_id INTEGER NOT NULL REFERENCES pools(id),
            position INTEGER NOT NULL,
            address TEXT NOT NULL,
            token TEXT NOT NULL UNIQUE,
            volunteer_id INTEGER REFERENCES volunteers(id),
            registered_at REAL
        );
        CREATE INDEX invitations_pool ON invitations(pool_id);
        CREATE TABLE panel_steps (
            id INTEGER PRIMARY KEY,
            panel_id INTEGER NOT NULL REFERENCES panels(id),
            volunteer INTEGER NOT NULL,
            step TEXT NOT NULL CHECK (step IN ('confirmed', 'withdrew', 'seated')),
            reason TEXT NOT NULL DEFAULT '',
            replaces INTEGER,
            created_at REAL NOT NULL
        );
        CREATE INDEX panel_steps_panel ON panel_steps(panel_id);
        -- A lottery rounded to m numbered panels, fixed and published (its SHA-256) before the
        -- public value that picks a panel is known; the panel it gave, once drawn.
        CREATE TABLE commitments (
            id INTEGER PRIMARY KEY,
            pool_id INTEGER NOT NULL REFERENCES pools(id),
            settings TEXT NOT NULL,
            m INTEGER NOT NULL,
            file TEXT NOT NULL,
            digest TEXT NOT NULL,
            rounding TEXT NOT NULL,
            panel_id INTEGER REFERENCES panels(id),
            created_at REAL NOT NULL
        );
        CREATE INDEX commitments_pool ON commitments(pool_id);
        """,
    ),
)
