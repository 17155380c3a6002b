"""A client for the city's Open311 GeoReport v2 back end (JSON format).

Covers what civicbot needs: the service list and definitions, posting a service request
(form-encoded), resolving the token a batch service answers with, and reading the status of
requests. Every failure is an :class:`Open311Error` that says whether trying again may help:
the GeoReport errors (400, 403, 404 with ``[{"code", "description"}]``) do not, a server error,
a timeout or a refused connection do.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

MAX_DESCRIPTION_CHARS = 4000
# The contribution's reference ends the description: the one field every GeoReport back end keeps
# and gives back in GET requests.json, so that a post whose answer was lost can be found again.
REFERENCE_MARKER = "[civicbot {reference}]"
RETRYABLE_STATUSES = frozenset({408, 425, 429})
_TAG = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|</?[A-Za-z!?][^<>]*>", re.DOTALL)
_BLANK_LINES = re.compile(r"\n{3,}")


class Open311Error(Exception):
    """The back end refused a call (``retryable`` False) or could not answer (True)."""

    def __init__(self, message: str, *, status: int | None = None,
                 errors: list[dict[str, Any]] | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or []
        self.retryable = retryable


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str = ""
    group: str = ""
    keywords: tuple[str, ...] = ()
    has_metadata: bool = False
    type: str = "realtime"  # "realtime", "batch" or "blackbox"

    def as_json(self) -> dict[str, Any]:
        return {"service_code": self.code, "service_name": self.name,
                "description": self.description, "group": self.group,
                "keywords": ",".join(self.keywords), "metadata": self.has_metadata, "type": self.type}


@dataclass(frozen=True)
class Attribute:
    """A question of a service definition; ``values`` are (key, name) pairs for list types."""

    code: str
    description: str
    datatype: str = "string"
    required: bool = False
    variable: bool = True
    order: int = 0
    values: tuple[tuple[str, str], ...] = ()

    @property
    def multiple(self) -> bool:
        return self.datatype == "multivaluelist"

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "description": self.description, "datatype": self.datatype,
                "required": self.required, "variable": self.variable, "order": self.order,
                "values": [{"key": key, "name": name} for key, name in self.values]}


@dataclass(frozen=True)
class Receipt:
    """The answer to a posted request: an id, or a token to resolve later (batch services)."""

    service_request_id: str | None = None
    token: str | None = None
    service_notice: str = ""


@dataclass(frozen=True)
class RequestStatus:
    service_request_id: str
    status: str  # "open" or "closed"
    status_notes: str = ""
    updated_datetime: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def clean_description(text: str, limit: int = MAX_DESCRIPTION_CHARS) -> str:
    """Plain text the back end accepts: tags removed, blank runs squeezed, at most ``limit``."""
    previous = None
    while previous != text:  # "<<b>b>" hides a tag inside a tag
        previous, text = text, _TAG.sub("", text)
    text = _BLANK_LINES.sub("\n\n", text.replace("\r\n", "\n")).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def service_from_json(item: Mapping[str, Any]) -> Service:
    keywords = item.get("keywords") or ""
    if isinstance(keywords, str):
        keywords = [word.strip() for word in keywords.split(",")]
    return Service(
        code=str(item["service_code"]), name=str(item.get("service_name") or item["service_code"]),
        description=str(item.get("description") or ""), group=str(item.get("group") or ""),
        keywords=tuple(str(word) for word in keywords if str(word).strip()),
        has_metadata=str(item.get("metadata")).lower() == "true",
        type=str(item.get("type") or "realtime"),
    )


def attribute_from_json(item: Mapping[str, Any]) -> Attribute:
    values = tuple((str(value.get("key")), str(value.get("name") or value.get("key")))
                   for value in item.get("values") or [] if isinstance(value, Mapping))
    return Attribute(
        code=str(item["code"]), description=str(item.get("description") or item["code"]),
        datatype=str(item.get("datatype") or "string"),
        required=str(item.get("required")).lower() == "true",
        variable=str(item.get("variable", True)).lower() != "false",
        order=int(item.get("order") or 0), values=values,
    )


def _parse_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class Open311Client:
    """One back end; ``base_url`` is the endpoint root, e.g. ``https://city.example/open311/v2/``."""

    def __init__(self, base_url: str, api_key: str = "", jurisdiction_id: str = "",
                 timeout: float = 20.0) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.api_key = api_key
        self.jurisdiction_id = jurisdiction_id
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Open311Client:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    def _common(self) -> list[tuple[str, str]]:
        return [("jurisdiction_id", self.jurisdiction_id)] if self.jurisdiction_id else []

    async def _call(self, method: str, path: str, *, params: Iterable[tuple[str, str]] = (),
                    form: list[tuple[str, str]] | None = None) -> Any:
        url = self.base_url + path
        try:
            async with self._http().request(method, url, params=list(params) or None,
                                            data=form) as response:
                body = await response.text()
                if response.status >= 400:
                    raise _error_from(response.status, body)
                try:
                    return await response.json(content_type=None)
                except ValueError:
                    raise Open311Error(f"{path}: the answer is not JSON", status=response.status,
                                       retryable=True) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise Open311Error(f"{path}: {type(error).__name__}", retryable=True) from None

    async def services(self) -> list[Service]:
        data = await self._call("GET", "services.json", params=self._common())
        if not isinstance(data, list):
            raise Open311Error("services.json: expected a list", retryable=True)
        return [service_from_json(item) for item in data
                if isinstance(item, Mapping) and item.get("service_code")]

    async def service_definition(self, service_code: str) -> list[Attribute]:
        data = await self._call("GET", f"services/{service_code}.json", params=self._common())
        attributes = data.get("attributes") if isinstance(data, Mapping) else None
        return sorted((attribute_from_json(item) for item in attributes or []
                       if isinstance(item, Mapping) and item.get("code")),
                      key=lambda attribute: attribute.order)

    async def submit(self, service_code: str, description: str, *,
                     latitude: float | None = None, longitude: float | None = None,
                     address: str | None = None, media_url: str | None = None,
                     attributes: Mapping[str, str | list[str]] | None = None,
                     reference: str | None = None) -> Receipt:
        """POST requests.json; a location is a point or an address (one is required). A
        ``reference`` ends the description (see :meth:`find`)."""
        if latitude is None and not address:
            raise Open311Error("a request needs lat/long or an address_string")
        form = [("api_key", self.api_key), ("service_code", service_code), *self._common(),
                ("description", _with_reference(description, reference))]
        if latitude is not None and longitude is not None:
            form += [("lat", repr(latitude)), ("long", repr(longitude))]
        if address:
            form.append(("address_string", clean_description(address, 1000)))
        if media_url:
            form.append(("media_url", media_url))
        for code, value in (attributes or {}).items():
            if isinstance(value, list):
                form += [(f"attribute[{code}][]", str(item)) for item in value]
            else:
                form.append((f"attribute[{code}]", str(value)))
        data = await self._call("POST", "requests.json", form=form)
        item = data[0] if isinstance(data, list) and data and isinstance(data[0], Mapping) else None
        if item is None or not (item.get("service_request_id") or item.get("token")):
            raise Open311Error("requests.json: no service_request_id nor token in the answer",
                               retryable=True)
        return Receipt(service_request_id=_text_or_none(item.get("service_request_id")),
                       token=_text_or_none(item.get("token")),
                       service_notice=str(item.get("service_notice") or ""))

    async def find(self, service_code: str, reference: str, since: datetime) -> str | None:
        """The service_request_id of the request posted with ``reference`` since ``since``, or
        None if the back end has none (GET requests.json filtered by service_code and
        start_date, as GeoReport v2 defines them)."""
        params = [("service_code", service_code), ("start_date", since.isoformat()), *self._common()]
        data = await self._call("GET", "requests.json", params=params)
        if not isinstance(data, list):
            raise Open311Error("requests.json: expected a list", retryable=True)
        marker = REFERENCE_MARKER.format(reference=reference)
        for item in data:
            if (isinstance(item, Mapping) and item.get("service_request_id")
                    and marker in str(item.get("description") or "")):
                return str(item["service_request_id"])
        return None

    async def resolve_token(self, token: str) -> str | None:
        """The service_request_id a batch token became, or None while it is still pending."""
        try:
            data = await self._call("GET", f"tokens/{token}.json", params=self._common())
        except Open311Error as error:
            if error.status == 404:
                return None
            raise
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, Mapping) and item.get("service_request_id"):
                return str(item["service_request_id"])
        return None

    async def statuses(self, service_request_ids: list[str]) -> list[RequestStatus]:
        """GET requests.json for these ids (one call; the caller chunks long lists)."""
        params = [("service_request_id", ",".join(service_request_ids)), *self._common()]
        data = await self._call("GET", "requests.json", params=params)
        if not isinstance(data, list):
            raise Open311Error("requests.json: expected a list", retryable=True)
        return [RequestStatus(
            service_request_id=str(item["service_request_id"]),
            status=str(item.get("status") or "open").lower(),
            status_notes=str(item.get("status_notes") or ""),
            updated_datetime=_parse_datetime(item.get("updated_datetime")),
            extra={key: item.get(key) for key in ("agency_responsible", "expected_datetime")
                   if item.get(key)},
        ) for item in data if isinstance(item, Mapping) and item.get("service_request_id")]


def _with_reference(description: str, reference: str | None) -> str:
    """The cleaned description, ended by the reference's marker (kept within the limit)."""
    if not reference:
        return clean_description(description)
    marker = REFERENCE_MARKER.format(reference=reference)
    return f"{clean_description(description, MAX_DESCRIPTION_CHARS - len(marker) - 2)}\n\n{marker}"


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _error_from(status: int, body: str) -> Open311Error:
    """The GeoReport error list when the body has one, else a summary of the HTTP status."""
    errors: list[dict[str, Any]] = []
    try:
        data = json.loads(body)
        if isinstance(data, list):
            errors = [item for item in data if isinstance(item, dict)]
    except ValueError:
        pass
    summary = "; ".join(f"{item.get('code')}: {item.get('description')}" for item in errors)
    retryable = status >= 500 or status in RETRYABLE_STATUSES
    return Open311Error(f"HTTP {status}" + (f" ({summary})" if summary else ""),
                        status=status, errors=errors, retryable=retryable)
