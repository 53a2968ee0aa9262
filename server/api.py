"""The HTTP API (FastAPI): every path of docs/sync-protocol.md under /api/v1."""
# No `from __future__ import annotations` here: FastAPI reads the closures' annotations at run time.

import json
import re
import uuid
from typing import Annotated, Optional

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from records.version import APP_VERSION
from server import auth as auth_service
from records.roles import OFFICE_ROLES
from server.auth import Actor
from server.config import API_PREFIX, Settings
from server.db import Database
from server.errors import ApiError, error_responses
from server.institutions import InstitutionIds, InstitutionsCache, due_days_answer
from server.limits import BodyLimit, OverloadLimiter, decode_body, json_bytes, parse_json
from server.office import change_concern_status
from server.pull import pull
from server.push import push
from server.report import activity_report_file
from server.submissions import overview, submit
from server.reference import AreasCache, VillageCodes, categories
from server.schemas import (
    CURSOR_PATTERN,
    REPORT_FILE_TYPES,
    ActivityReport,
    AreasResponse,
    CategoriesResponse,
    DueDaysResponse,
    InstitutionsResponse,
    ConflictsResponse,
    Health,
    LoginRequest,
    LoginResponse,
    PullResponse,
    PushRequest,
    PushResponse,
    RecordOut,
    StatusRequest,
    SubmissionOut,
    SubmissionsOverview,
    SubmitReportRequest,
)
from server.tables import ConflictRevision, RecordRow, in_area

_CURSOR = re.compile(CURSOR_PATTERN)
_bearer = HTTPBearer(auto_error=False, description="The token from POST /auth/login")
AUTH_ERRORS = error_responses(401, 503)
VALIDATION_ERROR = {422: {"description": "Wrong shape: FastAPI's validation errors", "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}}


def create_app(settings: Settings, db: Optional[Database] = None) -> FastAPI:
    db = db or Database(settings.db_url)
    villages = VillageCodes()
    areas_cache = AreasCache()
    institutions_cache = InstitutionsCache()
    institution_ids = InstitutionIds()
    app = FastAPI(title="Phum central server", version=APP_VERSION,
                  description="Sync endpoint of Phum (docs/sync-protocol.md). Errors: "
                              '{"detail": {"code": "<stable_code>", "reason": "<English>"}}.')
    app.state.db = db
    app.state.settings = settings
    app.state.villages = villages

    def current_actor(credentials: Annotated[Optional[HTTPAuthorizationCredentials], Depends(_bearer)]) -> Actor:
        return auth_service.authenticate(db, credentials.credentials if credentials else None)

    ActorDep = Annotated[Actor, Depends(current_actor)]
    api = APIRouter(prefix=API_PREFIX)

    @api.get("/health", response_model=Health, tags=["other"])
    def health() -> Health:
        """Cheap reachability probe (no auth)."""
        return Health(status="ok", version=APP_VERSION)

    @api.post("/auth/login", response_model=LoginResponse, tags=["auth"],
              responses=error_responses(400, 401, 413, 429, 503))
    def login(body: LoginRequest, request: Request) -> LoginResponse:
        remote = request.client.host if request.client else ""
        token, expires, user = auth_service.login(db, settings, body.username, body.password, body.device_id, remote)
        return LoginResponse(token=token, expires_at=expires, user={
            "username": user.username, "full_name": user.full_name, "role": user.role, "area_code": user.area_code})

    @api.post("/auth/logout", status_code=204, tags=["auth"], responses=AUTH_ERRORS)
    def logout(actor: ActorDep) -> Response:
        auth_service.logout(db, actor)
        return Response(status_code=204)

    # The push body is read by hand (gzip, size limits), so its schema is declared here.
    push_body_schema = {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/PushRequest"}}}}}

    @api.post("/sync/push", response_model=PushResponse, tags=["sync"], openapi_extra=push_body_schema,
              responses={**error_responses(400, 401, 413, 415, 503), **VALIDATION_ERROR})
    async def sync_push(request: Request, actor: ActorDep) -> Response:
        """A batch of records (body may be gzip: `Content-Encoding: gzip`); one result per record, in order."""
        raw = decode_body(await request.body(), request.headers.get("content-encoding"), settings.max_body_bytes)
        payload = parse_json(raw)
        records = payload.get("records") if isinstance(payload, dict) else None
        if isinstance(records, list) and len(records) > settings.max_batch:
            raise ApiError(413, "batch_too_large",
                           f"{len(records)} records in one batch; at most {settings.max_batch}.")
        try:
            body = PushRequest.model_validate(payload)
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
            raise RequestValidationError(errors, body=None) from None
        if body.device_id and body.device_id != actor.device_id:
            # The device is the one signed in: another's id would pass for the edit that device holds.
            raise ApiError(400, "device_mismatch", "The body names another device than the one this token was "
                                                   "signed in on; sign in again on this device.")
        results = await run_in_threadpool(push, db, actor, body.records, villages, institution_ids)
        # push() builds every result in PushResult's shape: encoded as is, not validated again.
        return Response(json_bytes({"results": results}), media_type="application/json")

    @api.get("/sync/pull", response_model=PullResponse, tags=["sync"], responses=error_responses(400, 401, 503))
    def sync_pull(actor: ActorDep, cursor: Annotated[str, Query(
                      max_length=200, json_schema_extra={"pattern": CURSOR_PATTERN})] = "",
                  limit: Annotated[int, Query(ge=1, le=settings.pull_max_limit)] = settings.pull_default_limit
                  ) -> Response:
        """Changes in your area since `cursor` (absent = from the start), oldest first, latest state only."""
        # The pattern is checked here, not by FastAPI: a cursor this server did not make is 400 bad_cursor.
        if cursor and not _CURSOR.fullmatch(cursor):
            raise ApiError(400, "bad_cursor", "This cursor was not made by this server; pull from the start.")
        return Response(pull(db, actor, cursor, limit), media_type="application/json")

    @api.get("/reference/areas", response_model=AreasResponse, tags=["reference"], responses=AUTH_ERRORS)
    def reference_areas(actor: ActorDep, version: Annotated[Optional[str], Query(max_length=100)] = None
                        ) -> Response:
        """The gazetteer; `areas` is empty when `version` is the current one."""
        return Response(areas_cache.body(db, version), media_type="application/json")

    @api.get("/reference/categories", response_model=CategoriesResponse, tags=["reference"],
             responses=AUTH_ERRORS)
    def reference_categories(actor: ActorDep) -> CategoriesResponse:
        return CategoriesResponse(categories=categories())

    @api.get("/reference/institutions", response_model=InstitutionsResponse, tags=["reference"],
             responses=AUTH_ERRORS)
    def reference_institutions(actor: ActorDep, version: Annotated[Optional[str], Query(max_length=100)] = None
                               ) -> Response:
        """Institutions a concern can be referred to; `institutions` is empty when `version` is the current one."""
        return Response(institutions_cache.body(db, version), media_type="application/json")

    @api.get("/reference/due-days", response_model=DueDaysResponse, tags=["reference"], responses=AUTH_ERRORS)
    def reference_due_days(actor: ActorDep, version: Annotated[Optional[str], Query(max_length=100)] = None
                           ) -> DueDaysResponse:
        """Days from raising a concern to its due date, by priority, and the administrator's overrides by category."""
        return DueDaysResponse(**due_days_answer(db, version))

    @api.post("/concerns/{concern_id}/status", response_model=RecordOut, tags=["district office"],
              responses=error_responses(400, 401, 403, 404, 409, 413, 503))
    def concern_status(concern_id: uuid.UUID, body: StatusRequest, actor: ActorDep) -> RecordOut:
        """A supervisor or admin moves a concern along its lifecycle; devices get it on their next pull."""
        server_rev, data = change_concern_status(
            db, actor, str(concern_id), body.status, body.note, body.referred_to, institution_id=body.institution_id,
            expected_on=body.expected_on, escalation=body.escalation.model_dump() if body.escalation else None,
            listed=institution_ids)
        return RecordOut(server_rev=server_rev, data=data)

    @api.get("/conflicts", response_model=ConflictsResponse, tags=["district office"],
             responses=error_responses(401, 403, 503))
    def conflicts(actor: ActorDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> ConflictsResponse:
        """Versions that lost to a newer server version (newest first), in your area; supervisors and admins."""
        if actor.role not in OFFICE_ROLES:
            raise ApiError(403, "forbidden_role", "Only a supervisor or admin reviews conflicts.")
        with db.session() as s:
            query = (select(ConflictRevision).join(RecordRow, RecordRow.id == ConflictRevision.record_id)
                     .order_by(ConflictRevision.id.desc()).limit(limit))
            area = in_area(actor.area_code)
            if area is not None:
                query = query.where(area)
            rows = s.execute(query).scalars().all()
        return ConflictsResponse(conflicts=[{
            "record_id": r.record_id, "type": r.type, "rev": r.rev, "base_rev": r.base_rev,
            "server_rev_at_arrival": r.server_rev_at_arrival, "username": r.username, "device_id": r.device_id,
            "received_at": r.received_at, "data": json.loads(r.data)} for r in rows])

    @api.get("/reports/activity", tags=["reports"], responses={
        200: {"model": ActivityReport, "description": "The report: JSON, or the file asked for by `format`",
              "content": {media: {} for media in REPORT_FILE_TYPES}},
        **error_responses(400, 401, 403, 503)})
    def report_activity(actor: ActorDep, area: Annotated[Optional[str], Query(max_length=8)] = None,
                        period: Annotated[Optional[str], Query(max_length=40)] = None,
                        start: Annotated[Optional[str], Query(alias="from", max_length=10)] = None,
                        end: Annotated[Optional[str], Query(alias="to", max_length=10)] = None,
                        format: Annotated[str, Query(max_length=8)] = "json",
                        lang: Annotated[str, Query(pattern="^(en|km)$")] = "en") -> Response:
        """The activity report (docs/report.md) of `area` (default: yours; admin: national) for `period`
        (2026-03, 2026-Q1, 2026) or `from`..`to` (days, inclusive); json, csv, xlsx or pdf."""
        body, media, name = activity_report_file(db, actor.area_code, area, period, start, end, format, lang)
        headers = {"Content-Disposition": f'attachment; filename="{name}"'} if format != "json" else None
        return Response(body, media_type=media, headers=headers)

    @api.post("/reports/submissions", tags=["reports"], status_code=201, response_model=SubmissionOut,
              responses=error_responses(400, 401, 403, 409, 413, 503))
    def report_submit(body: SubmitReportRequest, actor: ActorDep) -> dict:
        """A supervisor (admin: national) submits a period's report for their area, with a note: frozen."""
        return submit(db, actor, body.period, body.note)

    @api.get("/reports/submissions", tags=["reports"], response_model=SubmissionsOverview,
             responses=error_responses(400, 401, 403, 503))
    def report_submissions(actor: ActorDep, period: Annotated[str, Query(max_length=40)],
                           area: Annotated[Optional[str], Query(max_length=8)] = None,
                           lang: Annotated[str, Query(pattern="^(en|km)$")] = "en") -> dict:
        """Which sub-areas of `area` (default: yours) submitted `period`, on time or late; the compiled totals."""
        return overview(db, actor, area, period, lang=lang)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        # Framework errors (unparsable JSON, unknown path, wrong method) in the protocol's error shape.
        detail = exc.detail
        if not isinstance(detail, dict):
            code = {400: "bad_json", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code,
                                                                                    f"http_{exc.status_code}")
            detail = {"code": code, "reason": str(detail)}
        return Response(json_bytes({"detail": detail}), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None), media_type="application/json")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        # FastAPI's 422, encoded so that text UTF-8 cannot carry (a lone surrogate) echoed back is no 500.
        return Response(json_bytes({"detail": jsonable_encoder(exc.errors())}), status_code=422,
                        media_type="application/json")

    app.include_router(api)

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            push_schema = PushRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(push_schema.pop("$defs", {}))
            components["PushRequest"] = push_schema
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
    # Outermost first: refuse overload before reading bodies; compress big answers (pull, areas).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(BodyLimit, limits={f"{API_PREFIX}/sync/push": settings.max_wire_bytes},
                       default_limit=settings.max_other_body_bytes)
    app.add_middleware(OverloadLimiter, max_in_flight=settings.max_in_flight, retry_after_s=settings.retry_after_s,
                       exempt=(f"{API_PREFIX}/health",))
    return app
