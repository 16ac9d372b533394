"""create_app(): the route table, middleware, static files, lifespan and error handlers.

This is the only module that wires the parts together.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.convertors import register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute

from facilitation.accounts.manage import Accounts
from facilitation.accounts.sign_in import SignInGuard
from facilitation.core.errors import FacilitationError
from facilitation.core.hub import Hub
from facilitation.core.limits import Limiter, LocalLimiter
from facilitation.health.checks import HealthChecks
from facilitation.panel.pools import Lotteries
from facilitation.panel.recruitment import Recruiting
from facilitation.people.erasure import Erasure, keep_forgetting
from facilitation.people.profiles import Profiles
from facilitation.programme.plans import Plans
from facilitation.relay.hub import RedisHub
from facilitation.relay.limits import RedisLimiter
from facilitation.settings import Settings
from facilitation.storage.store import Store
from facilitation.web import live
from facilitation.web.address import JoinAddresses, local_addresses
from facilitation.web.assets import VersionedStatic
from facilitation.web.common import RecordId
from facilitation.web.errors import error_response
from facilitation.web.metrics import Metrics
from facilitation.web.middleware import Identity, LazySession, SecurityHeaders, proxy_headers
from facilitation.web.render import Renderer
from facilitation.web.socket_caps import SocketCaps
from facilitation.web.views import (
    about,
    accounts,
    board,
    door,
    erasure,
    export,
    facilitator,
    health,
    ideas,
    languages,
    metrics,
    numbered,
    panels,
    participant,
    people,
    programme,
    programme_export,
    recruitment,
    split,
    status,
)
from facilitation.workshop import pictures
from facilitation.workshop.ballots import Ballots
from facilitation.workshop.channels import StageShares
from facilitation.workshop.desk import IdeaDesk
from facilitation.workshop.door import DoorTablets
from facilitation.workshop.guessing import CodeGuard
from facilitation.workshop.rounds import Rounds
from facilitation.workshop.translating import Translating
from facilitation.workshop.workshops import Workshops

# Downloads compressed inside already (PDF streams, an XLSX's zip): gzip over them saved 4% and
# 14% on the demo's report and workbook, not worth the server's time for a facilitator's download.
COMPRESSED = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def routes(static: VersionedStatic) -> list:
    f = facilitator
    w = "/f/workshops/{workshop_id:int}"
    r = w + "/rounds/{round_id:int}"
    p = programme
    px = programme_export
    pr = "/f/programmes/{programme_id:int}"
    pq = pr + "/people/questions/{question_id:int}"
    pp = pr + "/panels/{pool_id:int}"
    pd = pp + "/draws/{panel_id:int}"
    return [
        Route("/", participant.home),
        Route("/join", participant.join_by_code, methods=["POST"]),
        Route("/language", languages.device_language, methods=["POST"]),
        Route("/w/{code}", participant.phone_page),
        Route("/w/{code}/join", participant.join_workshop, methods=["POST"]),
        Route("/w/{code}/about", about.about_page),
        Route("/w/{code}/about", about.save_about, methods=["POST"]),
        Route("/w/{code}/stage", participant.stage),
        Route("/pictures/{option_id:int}/{version}", participant.picture),
        Route("/kiosk", door.start),
        Route("/kiosk/new", door.new_person, methods=["POST"]),
        Route("/kiosk/done", door.done, methods=["POST"]),
        Route("/w/{code}/ballot", participant.ballot, methods=["POST"]),
        WebSocketRoute("/w/{code}/ws", live.phone_socket),
        Route("/login", f.login_page),
        Route("/login", f.login, methods=["POST"]),
        Route("/logout", f.logout, methods=["POST"]),
        Route("/f", f.workshops_page),
        Route("/f/language", languages.own_language, methods=["POST"]),
        Route("/f/workshops", f.create_workshop, methods=["POST"]),
        Route("/f/accounts", accounts.accounts_page),
        Route("/f/accounts", accounts.add_account, methods=["POST"]),
        Route("/f/accounts/{user_id:int}/role", accounts.change_role, methods=["POST"]),
        Route("/f/accounts/{user_id:int}/password", accounts.set_password, methods=["POST"]),
        Route("/f/accounts/{user_id:int}/remove", accounts.remove_account, methods=["POST"]),
        Route("/f/organisations", accounts.organisations_page),
        Route("/f/organisations", accounts.create_organisation, methods=["POST"]),
        Route(w, f.console),
        Route(w + "/edit", f.edit_workshop, methods=["POST"]),
        Route(w + "/programme", f.set_programme, methods=["POST"]),
        Route(w + "/languages", languages.workshop_languages, methods=["POST"]),
        Route(w + "/translations", languages.workshop_translations),
        Route(w + "/translations", languages.save_workshop_translations, methods=["POST"]),
        Route(w + "/health-check", health.add_health_check, methods=["POST"]),
        Route(w + "/options", f.add_option, methods=["POST"]),
        Route(
            w + "/options/{option_id:int}/picture",
            f.option_picture,
            methods=["POST"],
            max_body_size=pictures.REQUEST_MAX_BYTES,
        ),
        Route(w + "/options/{option_id:int}/{action}", f.option_action, methods=["POST"]),
        Route(w + "/rounds", f.create_round, methods=["POST"]),
        Route(r + "/ideas/approve-all", ideas.approve_all, methods=["POST"]),
        Route(r + "/ideas/merge", ideas.merge, methods=["POST"]),
        Route(r + "/ideas/to-options", ideas.to_options, methods=["POST"]),
        Route(r + "/ideas/{idea_id:int}/{action}", ideas.idea_action, methods=["POST"]),
        # Before the generic round action below, which would take "paper" for an action.
        Route(r + "/paper", ideas.paper_page),
        Route(r + "/paper", ideas.paper_entry, methods=["POST"]),
        Route(r + "/sheet", ideas.paper_sheet),
        Route(w + "/desk", ideas.desk_page),
        WebSocketRoute(w + "/desk/ws", live.desk_socket),
        Route(w + "/rounds/{round_id:int}", f.results_page),
        Route(w + "/rounds/{round_id:int}/edit", f.edit_round_page),
        Route(w + "/rounds/{round_id:int}/{action}", f.round_action, methods=["POST"]),
        Route(w + "/summary", f.summary_page),
        Route(w + "/qr", f.qr_page),
        Route(w + "/board", board.board_page),
        Route(w + "/export/results.csv", export.results_csv),
        Route(w + "/export/ballots.csv", export.ballots_csv),
        Route(w + "/export/workshop.json", export.workshop_json),
        Route(w + "/export/results-by-group.csv", split.results_by_group_csv),
        Route(w + "/room-on-board", people.room_on_board, methods=["POST"]),
        Route(w + "/kiosk", door.unlock, methods=["POST"]),
        Route(w + "/kiosks/{kiosk_id:int}/lock", door.lock, methods=["POST"]),
        Route(w + "/people", erasure.participants_page),
        Route(w + "/people/{participant_id:int}", erasure.participant_page),
        Route(w + "/people/{participant_id:int}/held.json", erasure.participant_json),
        Route(
            w + "/people/{participant_id:int}/erase", erasure.erase_participant, methods=["POST"]
        ),
        Route(w + "/options/import", px.import_options, methods=["POST"]),
        WebSocketRoute(w + "/board/ws", live.board_socket),
        WebSocketRoute(w + "/ws", live.console_socket),
        Route("/f/programmes", p.programmes_page),
        Route("/f/programmes", p.create_programme, methods=["POST"]),
        Route(pr, p.dashboard),
        Route(pr + "/edit", p.edit_programme, methods=["POST"]),
        Route(pr + "/health-check", health.save_statements, methods=["POST"]),
        Route(pr + "/translations", languages.programme_translations),
        Route(pr + "/translations", languages.save_programme_translations, methods=["POST"]),
        Route(pr + "/workshops", p.programme_workshops, methods=["POST"]),
        Route(pr + "/needs", p.needs_page),
        Route(pr + "/needs", p.add_need, methods=["POST"]),
        Route(pr + "/needs/from-options", p.needs_from_options, methods=["POST"]),
        Route(pr + "/needs/{need_id:int}/{action}", p.need_action, methods=["POST"]),
        Route(pr + "/actions", p.actions_page),
        Route(pr + "/actions", p.add_action, methods=["POST"]),
        Route(pr + "/actions/{action_id:int}/{action}", p.action_action, methods=["POST"]),
        Route(pr + "/needs/import", px.import_needs, methods=["POST"]),
        Route(pr + "/people", people.people_page),
        Route(pr + "/people/questions", people.add_question, methods=["POST"]),
        Route(pq + "/{action}", people.question_action, methods=["POST"]),
        Route(pr + "/people/makeup/import", people.import_makeup, methods=["POST"]),
        Route(pr + "/people/makeup.csv", people.makeup_csv),
        Route(pr + "/panels", panels.panels_page),
        Route(pr + "/panels/import", panels.import_pool, methods=["POST"]),
        Route(pr + "/panels/volunteers.csv", panels.pool_template),
        Route(pp, panels.pool_page),
        Route(pp + "/draw", panels.draw_panel, methods=["POST"]),
        Route(pp + "/progress", panels.lottery_progress),
        Route(pp + "/cancel", panels.cancel_lottery, methods=["POST"]),
        Route(pp + "/delete", panels.delete_pool, methods=["POST"]),
        Route(pp + "/people", erasure.volunteers_page),
        Route(pp + "/people/{volunteer_id:int}", erasure.volunteer_page),
        Route(pp + "/people/{volunteer_id:int}/held.json", erasure.volunteer_json),
        Route(pp + "/people/{volunteer_id:int}/erase", erasure.erase_volunteer, methods=["POST"]),
        Route(pd, panels.draw_page),
        Route(pd + "/panel.csv", panels.draw_csv),
        Route(pd + "/lottery.csv", panels.lottery_csv),
        Route(pp + "/commit", numbered.commit, methods=["POST"]),
        Route(pp + "/commitments/{commitment_id:int}", numbered.commitment_page),
        Route(pp + "/commitments/{commitment_id:int}/lottery.json", numbered.lottery_file),
        Route(pp + "/commitments/{commitment_id:int}/draw", numbered.draw, methods=["POST"]),
        Route(pr + "/panels/invite", recruitment.invite, methods=["POST"]),
        Route(pp + "/invitations", recruitment.invitations_page),
        Route(pd + "/steps", recruitment.panel_step, methods=["POST"]),
        Route("/r/{token}", recruitment.register_page),
        Route("/r/{token}", recruitment.register, methods=["POST"]),
        Route(pr + "/export/programme.xlsx", px.workbook),
        Route(pr + "/export/programme.json", px.programme_json),
        *(Route(pr + f"/export/{t}.csv", px.table_csv(t)) for t in programme_export.TABLES),
        Route(pr + "/report", px.report),
        Route(pr + "/report.pdf", px.report_pdf),
        Route("/p/{slug}", p.public_page),
        Route("/p/{slug}/poster", p.public_poster),
        Route("/healthz", status.healthz),
        Route("/metrics", metrics.metrics),
        Mount("/static", static, name="static"),
    ]


def create_app(
    settings: Settings | None = None, addresses: Callable[[], list[str]] = local_addresses
) -> Starlette:
    """Build the application; the database opens in the lifespan, not here. ``addresses`` lists
    this machine's network addresses, for join links when it listens on all of them."""
    settings = settings or Settings.from_env()
    # Every id in a path is bounded, in the routes below and any added later.
    register_url_convertor("int", RecordId())
    static = VersionedStatic(settings.static_dir)
    renderer = Renderer(settings.templates_dir, currency=settings.currency, static_url=static.url)
    counts = Metrics()
    hub = shared_hub(settings, counts)
    store = Store(settings.database, durability=settings.durability)
    session_box: dict[str, str] = {}

    join = JoinAddresses(settings.public_url, settings.host, settings.port, addresses)
    join_url = join.url

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.sqlite_path:
            Path(settings.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        await store.open()
        secret = await store.users.secret()
        session_box["secret"] = secret
        # Workers of one instance share its secret; other instances on the same Redis do not.
        namespace = hashlib.sha256(b"facilitation-relay:" + secret.encode()).hexdigest()[:16]
        await hub.start(namespace)
        limiter = shared_limiter(settings, namespace)
        pusher = live.Pusher(store, hub, renderer, join_url, settings.push_interval)
        app.state.secret = secret
        app.state.pusher = pusher
        app.state.workshops = Workshops(store, hub, pusher.mark_dirty)
        app.state.rounds = Rounds(store, hub, pusher.mark_dirty)
        guard = CodeGuard(on_wrong=counts.wrong_code, on_paced=counts.paced_lookup, limiter=limiter)
        app.state.ballots = Ballots(
            store,
            hub,
            pusher.mark_dirty,
            on_ack=counts.acknowledged,
            code_guard=guard,
            limiter=limiter,
        )
        # Guessing passwords: slowed where the guesser is, never on a device the owner has used.
        app.state.login_guard = SignInGuard(limiter)
        app.state.plans = Plans(store)
        app.state.idea_desk = IdeaDesk(store, pusher.mark_dirty)
        app.state.health = HealthChecks(store, pusher.mark_dirty)
        app.state.profiles = Profiles(store, pusher.mark_dirty)
        app.state.lotteries = Lotteries(store)
        app.state.accounts = Accounts(store)
        app.state.door = DoorTablets(store, hub, pusher.mark_dirty)
        app.state.erasure = Erasure(store, pusher.mark_dirty)
        forgetting = asyncio.create_task(
            keep_forgetting(app.state.erasure, settings.contact_retention_days)
        )
        app.state.hashing = anyio.CapacityLimiter(2)  # password checks at once, off the loop
        app.state.translating = Translating(store, hub, pusher.mark_dirty)
        app.state.recruiting = Recruiting(store)
        try:
            yield
        finally:
            forgetting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await forgetting
            app.state.lotteries.workers.close()
            await pusher.aclose()
            await hub.aclose()
            if isinstance(limiter, RedisLimiter):
                await limiter.aclose()
            await store.close()

    async def handle(request: Request, exc: Exception) -> Response:
        return await error_response(request, exc)

    app = Starlette(
        routes=routes(static),
        middleware=[
            # For phones on a poor signal. Websockets pass through untouched; under about a packet
            # nothing is gained; level 6 comes within 1% of level 9 on our files, for less work.
            Middleware(
                GZipMiddleware,
                minimum_size=1024,
                compresslevel=6,
                exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, *COMPRESSED),
            ),
            *proxy_headers(settings.trusted_proxies),
            Middleware(SecurityHeaders),
            Middleware(LazySession, box=session_box, https_only=settings.https_only),
            Middleware(Identity),
        ],
        exception_handlers={FacilitationError: handle, HTTPException: handle, Exception: handle},
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.hub = hub
    app.state.metrics = counts
    app.state.renderer = renderer
    app.state.join_url = join_url
    app.state.join_address = join.address
    app.state.sockets = SocketCaps(settings.sockets_per_address)
    app.state.stage_shares = StageShares()
    return app


def shared_hub(settings: Settings, counts: Metrics) -> Hub:
    """The live hub: within this process, or across every worker sharing the Redis."""
    if settings.redis_url:
        return RedisHub(settings.redis_url, settings.client_queue, counts.dropped_slow_client)
    return Hub(maxsize=settings.client_queue, on_drop=counts.dropped_slow_client)


def shared_limiter(settings: Settings, namespace: str) -> Limiter:
    """Where the ballot pace and the guessing guards count: here, or in the shared Redis."""
    if settings.redis_url:
        return RedisLimiter(settings.redis_url, namespace)
    return LocalLimiter(time.monotonic)
