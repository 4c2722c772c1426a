"""The scoring API's routes (docs/API.md), and the one place its answers are made.

Every request gets a JSON answer: a route's 200, an :class:`ApiError`'s status and code, and for
anything unexpected ``500 INTERNAL_ERROR``, logged with its traceback and the request id, whose
message says only that. An exception never reaches API Gateway, which would answer a bare 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from review_scorer.api import classify, files, uploads
from review_scorer.api.http import ApiError, Request, json_response, parse_event
from review_scorer.observability import count, logger
from review_scorer.settings import Settings

Route = Callable[[Request, Settings], dict[str, Any]]

CLASSIFY_PATH = "/api/classify"
UPLOADS_PATH = "/api/uploads"
FILES_PATH = uploads.FILES_PATH  # "/api/files/" + the upload's name


def _files(request: Request, settings: Settings) -> dict[str, Any]:
    return files.handle(request.path[len(FILES_PATH) :], settings)


# Each path and the routes of its methods; every /api/files/<name> shares one entry.
ROUTES: dict[str, dict[str, Route]] = {
    CLASSIFY_PATH: {"POST": classify.handle},
    UPLOADS_PATH: {"POST": uploads.handle},
    FILES_PATH: {"GET": _files},
}


def route(request: Request) -> Route:
    """The route for the request's method and path: ``404 NOT_FOUND`` for a path that is none
    of the API's, ``405 METHOD_NOT_ALLOWED`` (with ``allow``) for another method."""
    path = FILES_PATH if request.path.startswith(FILES_PATH) else request.path
    methods = ROUTES.get(path)
    if methods is None:
        raise ApiError(404, "NOT_FOUND", "no such route")
    if request.method not in methods:
        allowed = ", ".join(sorted(methods))
        raise ApiError(
            405,
            "METHOD_NOT_ALLOWED",
            f"{path}{'<name>' if path == FILES_PATH else ''} accepts {allowed} only",
            headers={"allow": allowed},
        )
    return methods[request.method]


def respond(
    event: dict[str, Any], load_settings: Callable[[], Settings], request_id: str
) -> dict[str, Any]:
    """The answer to one API Gateway event (payload format 2.0); never raises."""
    count("ApiRequests")
    try:
        request = parse_event(event)
        answer = route(request)(request, load_settings())
    except ApiError as error:
        logger.info("request refused", status=error.status, error_code=error.code)
        return error.response()
    except Exception:
        # The traceback goes to the log only; the caller learns where to look, not what broke.
        # No review text reaches it: a request's problems are ApiErrors (answered above), whose
        # messages name a position, and the scoring code raises nothing that quotes its input.
        logger.exception("unexpected error answering an API request", request_id=request_id)
        count("ApiServerErrors")
        return ApiError(500, "INTERNAL_ERROR", f"internal error (request {request_id})").response()
    return json_response(200, answer)
