"""Client of the national address API (Géoplateforme / BAN), off unless ``geocoder_url`` is set.

``GET {geocoder_url}?q=...&limit=...`` answers a GeoJSON FeatureCollection whose features have a
``[lon, lat]`` point and ``properties`` ``label``, ``score``, ``citycode``, ``postcode``. A
failure (network, timeout, bad answer) is logged without the address and yields nothing: the
caller then says it did not find the place.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp

from bot.config import Settings

log = logging.getLogger(__name__)
MIN_SCORE = 0.5
TIMEOUT = aiohttp.ClientTimeout(total=5)


@dataclass(frozen=True)
class GeocodedAddress:
    label: str
    latitude: float
    longitude: float
    score: float
    citycode: str
    postcode: str


def _parse(feature: dict) -> GeocodedAddress:
    longitude, latitude = feature["geometry"]["coordinates"][:2]
    properties = feature["properties"]
    return GeocodedAddress(str(properties["label"]), float(latitude), float(longitude),
                           float(properties.get("score", 0)), str(properties.get("citycode", "")),
                           str(properties.get("postcode", "")))


async def geocode(settings: Settings, address: str, limit: int = 5) -> GeocodedAddress | None:
    """The best match for an address, if the geocoder is configured and sure enough."""
    if not settings.geocoder_url or not address.strip():
        return None
    query = address if settings.city_name.lower() in address.lower() else (
        f"{address} {settings.city_name}")
    try:
        async with (aiohttp.ClientSession(timeout=TIMEOUT) as http,
                    http.get(settings.geocoder_url, params={"q": query, "limit": limit}) as response):
            if response.status != 200:
                log.warning("geocoder answered HTTP %s", response.status)
                return None
            body = await response.json(content_type=None)
        candidates = [_parse(feature) for feature in body.get("features", [])]
    except (TimeoutError, aiohttp.ClientError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        log.warning("geocoder unavailable or unreadable: %s", type(error).__name__)
        return None
    candidates = [candidate for candidate in candidates if candidate.score >= MIN_SCORE]
    return max(candidates, key=lambda candidate: candidate.score, default=None)
