"""`Idempotency-Key` for every money-moving API endpoint (DESIGN.md section 6).

Decorate a DRF view's handler with `@idempotent(scope="wallet.topup")`; the handler finds
the request's record in `self.idempotency_record` and passes it to the service that moves
the money, which links it to what it writes. Semantics, per user and scope:

- no `Idempotency-Key` header: 400 `idempotency_key_missing`;
- first use: the handler runs in one database transaction, which also writes the record
  with the response; an error response (4xx) is recorded too, because the same request
  would fail the same way; a 5xx is not (nothing was written, retrying is the cure);
- same key, same request (method, path, canonical JSON body): the first response again,
  with `Idempotent-Replayed: true`;
- same key, different request: 422 `idempotency_key_reused`;
- same key while the first is still running: 409 `idempotency_in_flight` (PostgreSQL: a
  transaction-scoped advisory lock tried without waiting; with Redis, a short-lived
  marker). On SQLite writers queue, so the retry waits and gets the replay;
- records expire after TTMS_IDEMPOTENCY_TTL_HOURS (24 h; `idempotency_expire_task`).

The database is the truth. When REDIS_URL is set, Redis is a fast path in front of it: a
finished response is cached there after the commit (replayed without a database query), and
an in-flight marker answers concurrent retries with 409 before they open a transaction.
When Redis fails, everything falls back to the database.
"""

import functools
import hashlib
import json
import logging
import uuid
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .exceptions import IdempotencyKeyMissing, IdempotencyKeyReused, IdempotencyRequestInFlight
from .locks import idempotency_key_try_lock
from .models import IdempotencyRecord

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    location=OpenApiParameter.HEADER,
    required=True,
    type=str,
    description=(
        "A unique key per operation (a UUID). Retrying with the same key and body replays "
        "the first response (errors included); a different body with the same key gets "
        "422; a retry while the first request is still running gets 409. Kept 24 h."
    ),
)


def idempotent(scope: str):
    """Make a DRF view handler (e.g. `post`) idempotent under `scope`. See the module."""

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            return _handle(
                view=view,
                request=request,
                scope=scope,
                run=lambda: handler(view, request, *args, **kwargs),
            )

        wrapper.idempotency_scope = scope
        return wrapper

    return decorator


def request_fingerprint(request) -> str:
    """SHA-256 of the method, path and canonical JSON body: what "the same request" means."""
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict (form posts)
        data = {name: values for name, values in data.lists()}
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=JSONEncoder)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def _replay(*, fingerprint: str, stored_fingerprint: str, status: int, body) -> Response:
    if fingerprint != stored_fingerprint:
        raise IdempotencyKeyReused()
    return Response(body, status=status, headers={REPLAY_HEADER: "true"})


class _NotRecorded(Exception):
    """Carries a response that must not be recorded (5xx) out of the transaction."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _handle(*, view, request, scope: str, run) -> Response:
    if not request.user.is_authenticated:  # keys are scoped to a user
        raise NotAuthenticated()
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise IdempotencyKeyMissing()
    if len(key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyMissing(
            f"The {HEADER} is longer than {MAX_KEY_LENGTH} characters.",
            code="idempotency_key_invalid",
        )
    user_id = request.user.pk
    fingerprint = request_fingerprint(request)

    fast = _FastPath(user_id=user_id, scope=scope, key=key)
    cached = fast.get()
    if cached is not None:
        return _replay(
            fingerprint=fingerprint,
            stored_fingerprint=cached["fingerprint"],
            status=cached["status"],
            body=cached["body"],
        )
    if not fast.claim():
        raise IdempotencyRequestInFlight()
    try:
        return _handle_in_transaction(
            view=view,
            user_id=user_id,
            scope=scope,
            key=key,
            fingerprint=fingerprint,
            run=run,
            fast=fast,
        )
    except _NotRecorded as not_recorded:
        return not_recorded.response
    finally:
        fast.release()


def _record_claim(*, user_id: int, scope: str, key: str, now) -> IdempotencyRecord | None:
    """Inside the operation's transaction: take the key's lock (or raise
    IdempotencyRequestInFlight), then return its live record, if any; an expired one is
    deleted so that the key can be used afresh."""
    if not idempotency_key_try_lock(user_id=user_id, scope=scope, key=key):
        raise IdempotencyRequestInFlight()
    record = IdempotencyRecord.objects.filter(user_id=user_id, scope=scope, key=key).first()
    if record is not None and record.expires_at <= now:
        record.delete()
        return None
    return record


def _handle_in_transaction(
    *, view, user_id: int, scope: str, key: str, fingerprint: str, run, fast: "_FastPath"
) -> Response:
    # The request's own transaction: it must be the outermost, or the record could commit
    # apart from the money.
    with transaction.atomic(durable=True):
        now = timezone.now()
        record = _record_claim(user_id=user_id, scope=scope, key=key, now=now)
        if record is not None:
            found = record
            transaction.on_commit(
                lambda: fast.store(
                    fingerprint=found.fingerprint,
                    status=found.response_status,
                    body=found.response_body,
                    expires_at=found.expires_at,
                )
            )
            return _replay(
                fingerprint=fingerprint,
                stored_fingerprint=record.fingerprint,
                status=record.response_status,
                body=record.response_body,
            )

        record = IdempotencyRecord.objects.create(
            user_id=user_id,
            scope=scope,
            key=key,
            fingerprint=fingerprint,
            created_at=now,
            expires_at=now + timedelta(hours=settings.TTMS_IDEMPOTENCY_TTL_HOURS),
        )
        view.idempotency_record = record
        try:
            # A savepoint: an error rolls back the handler's writes, not the record.
            with transaction.atomic():
                response = run()
        except Exception as exc:
            response = view.handle_exception(exc)  # re-raises what is not an API error
        if response.status_code >= 500:
            raise _NotRecorded(response)
        record.response_status = response.status_code
        record.response_body = json.loads(json.dumps(response.data, cls=JSONEncoder))
        record.save(update_fields=["response_status", "response_body"])
        transaction.on_commit(
            lambda: fast.store(
                fingerprint=fingerprint,
                status=record.response_status,
                body=record.response_body,
                expires_at=record.expires_at,
            )
        )
    return response


def submit_once(*, user_id: int, scope: str, key: str, run) -> tuple[dict, bool]:
    """Run `run(record)` at most once for a form's one-time `key` (a page's equivalent of
    the `Idempotency-Key` header): `run` moves the money, linking `record` to what it
    writes, and returns a JSON-able answer. Returns (answer, replayed): a second submission
    of the same form gets the first answer with replayed=True.

    One durable transaction holds the record and the money. A domain error raised by `run`
    rolls both back, so the form can be corrected and sent again; a submission while the
    first is still running raises IdempotencyRequestInFlight (PostgreSQL; on SQLite it
    waits for the first and replays it).
    """
    with transaction.atomic(durable=True):
        now = timezone.now()
        record = _record_claim(user_id=user_id, scope=scope, key=key, now=now)
        if record is not None:
            return record.response_body, True
        record = IdempotencyRecord.objects.create(
            user_id=user_id,
            scope=scope,
            key=key,
            created_at=now,
            fingerprint=hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest(),
            expires_at=now + timedelta(hours=settings.TTMS_IDEMPOTENCY_TTL_HOURS),
        )
        answer = run(record)
        record.response_status, record.response_body = 200, answer
        record.save(update_fields=["response_status", "response_body"])
    return answer, False


@functools.cache
def idempotency_records_delete_expired(*, now: datetime | None = None) -> int:
    """Delete idempotency records past their expiry; returns how many."""
    _, per_model = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return per_model.get(IdempotencyRecord._meta.label, 0)


def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


# Releases the in-flight marker only if it is still this request's (it may have expired
# and been taken by another).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class _FastPath:
    """The Redis side of one key; every method degrades to "no help" when Redis fails."""

    def __init__(self, *, user_id: int, scope: str, key: str) -> None:
        self.client = _redis_client(settings.REDIS_URL) if settings.REDIS_URL else None
        digest = hashlib.sha256(key.encode()).hexdigest()
        base = f"ttms:idempotency:{user_id}:{scope}:{digest}"
        self.result_key, self.flight_key = f"{base}:result", f"{base}:in-flight"
        self.token = uuid.uuid4().hex
        self.claimed = False

    def get(self) -> dict | None:
        if self.client is None:
            return None
        try:
            cached = self.client.get(self.result_key)
            return json.loads(cached) if cached else None
        except (redis.RedisError, ValueError) as exc:
            logger.warning("idempotency: Redis read failed, using the database: %s", exc)
            return None

    def claim(self) -> bool:
        """False when another request holds this key's in-flight marker."""
        if self.client is None:
            return True
        try:
            self.claimed = bool(
                self.client.set(
                    self.flight_key,
                    self.token,
                    nx=True,
                    ex=settings.TTMS_IDEMPOTENCY_IN_FLIGHT_SECONDS,
                )
            )
        except redis.RedisError as exc:
            logger.warning("idempotency: Redis claim failed, using the database: %s", exc)
            return True
        return self.claimed

    def release(self) -> None:
        if not self.claimed:
            return
        try:
            self.client.eval(_RELEASE, 1, self.flight_key, self.token)
        except redis.RedisError as exc:
            logger.warning("idempotency: Redis release failed (the marker expires): %s", exc)

    def store(self, *, fingerprint: str, status: int, body, expires_at) -> None:
        if self.client is None:
            return
        ttl = int((expires_at - timezone.now()).total_seconds())
        if ttl <= 0:
            return
        try:
            self.client.set(
                self.result_key,
                json.dumps({"fingerprint": fingerprint, "status": status, "body": body}),
                ex=ttl,
            )
        except redis.RedisError as exc:
            logger.warning("idempotency: Redis write failed: %s", exc)
