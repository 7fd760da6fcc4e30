"""Stations: created or updated by code, with the other names passengers know them by."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Company, Station, StationAlias
from ..text import fold_name


def station_upsert(
    *,
    code: str,
    name: str,
    time_zone: str,
    latitude: float | None = None,
    longitude: float | None = None,
    city: str = "",
    region: str = "",
    company: Company | None = None,
    aliases: Iterable[str] = (),
) -> Station:
    """Create the station `code` or update its fields; add the aliases it lacks.

    Validates the fields (ValidationError). The code is upper-cased; a station of another
    company is never taken over (ValidationError on code).
    """
    code = code.strip().upper()
    with transaction.atomic():
        station = Station.objects.select_for_update().filter(code=code).first()
        if station is not None and station.company_id not in (None, getattr(company, "pk", None)):
            raise ValidationError(
                {"code": _("{code} is a station of another operator.").format(code=code)}
            )
        station = station or Station(code=code)
        station.name, station.time_zone, station.city, station.region = (
            name,
            time_zone,
            city,
            region,
        )
        station.latitude, station.longitude, station.company = latitude, longitude, company
        station.full_clean(validate_unique=False)
        station.save()
        have = set(station.aliases.values_list("search_name", flat=True))
        for alias in aliases:
            folded = fold_name(alias)
            if folded and folded not in have and folded != station.search_name:
                StationAlias.objects.create(station=station, name=alias, search_name=folded)
                have.add(folded)
    return station
