"""Demo data of the booking app (`manage.py load_demo`, after fleet's): what the demo bus
operators' classes cost, in their own currency, and the stage fares of the Kigali – Musanze –
Rubavu routes. The railway keeps the default rupee rates.

Idempotent, and it never overwrites an operator's edit: a class that has a fare rule keeps
it, a route that has stage fares keeps them.
"""

from fleet.demo_data import BUS, BUS_OPERATORS, MATATU, VIRUNGA
from fleet.models import Company, Route, Station

from .models import FareRule, Pnr, StageFare
from .sales.services.fares import fare_rule_save, stage_fares_save

# slug -> class -> (rate per km, minimum fare), minor units of the company's currency
# (francs have none: RWF 27 a km; KES 5.00 a km, at least KES 50.00).
FARE_RULES = {
    BUS["slug"]: {"STANDARD": (27, 500), "VIP": (38, 800)},
    VIRUNGA["slug"]: {"STANDARD": (26, 500), "VIP": (36, 800)},
    MATATU["slug"]: {"STANDARD": (500, 5_000)},
}

# Kigali – Musanze – Rubavu, by stage and class, in francs, both ways; the other stops of
# a route cost the class's rate.
_NORTH_STAGES = {
    ("RW-NYB", "RW-MUS", "STANDARD"): 2_500,
    ("RW-MUS", "RW-RUB", "STANDARD"): 1_300,
    ("RW-NYB", "RW-RUB", "STANDARD"): 3_700,
    ("RW-NYB", "RW-MUS", "VIP"): 3_500,
    ("RW-MUS", "RW-RUB", "VIP"): 1_800,
    ("RW-NYB", "RW-RUB", "VIP"): 5_000,
}
STAGE_FARES = {
    (BUS["slug"], "RIC-101"): _NORTH_STAGES,
    (BUS["slug"], "RIC-103"): _NORTH_STAGES,
    (VIRUNGA["slug"], "VEX-301"): _NORTH_STAGES,
    (BUS["slug"], "RIC-102"): {(b, a, c): amount for (a, b, c), amount in _NORTH_STAGES.items()},
    (BUS["slug"], "RIC-104"): {(b, a, c): amount for (a, b, c), amount in _NORTH_STAGES.items()},
    (VIRUNGA["slug"], "VEX-302"): {
        (b, a, c): amount for (a, b, c), amount in _NORTH_STAGES.items()
    },
}


def _currency(company: Company, currency: str) -> str | None:
    """A demo company made before operators had a currency (so in the default one) takes its
    own, while nothing was ever sold on it."""
    if company.currency == currency or Pnr.objects.filter(trip__route__company=company).exists():
        return None
    Company.objects.filter(pk=company.pk).update(currency=currency)
    company.currency = currency
    return f"{company.slug}: currency set to {currency} (nothing sold yet)"


def demo_load() -> list[str]:
    """Fare rules for the demo bus operators' classes and the northern routes' stage fares."""
    lines: list[str] = []
    companies = {c.slug: c for c in Company.objects.filter(slug__in=list(FARE_RULES))}
    for spec, *_rest in BUS_OPERATORS:
        company = companies.get(spec["slug"])
        if company is not None:
            line = _currency(company, spec["currency"])
            if line:
                lines.append(line)
    created = 0
    for slug, classes in FARE_RULES.items():
        company = companies.get(slug)
        if company is None:
            continue
        have = set(FareRule.objects.filter(company=company).values_list("class_code", flat=True))
        for class_code, (rate, minimum) in classes.items():
            if class_code in have:
                continue
            fare_rule_save(
                fare_rule=FareRule(
                    company=company,
                    class_code=class_code,
                    rate_per_km=rate,
                    minimum_fare=minimum,
                ),
                by=None,
            )
            created += 1
    lines.append(f"fare rules: {created} created")
    tables = 0
    codes = {code for stages in STAGE_FARES.values() for o, d, _c in stages for code in (o, d)}
    stations = dict(Station.objects.filter(code__in=codes).values_list("code", "pk"))
    for (slug, route_code), stages in STAGE_FARES.items():
        route = Route.objects.filter(company__slug=slug, code=route_code).first()
        if route is None or StageFare.objects.filter(route=route).exists():
            continue
        stage_fares_save(
            route=route,
            fares={(stations[o], stations[d], c): amount for (o, d, c), amount in stages.items()},
            by="demo",
        )
        tables += 1
    lines.append(f"stage fare tables: {tables} created")
    return lines
