import pytest

from fleet.services import station_upsert

from .factories import CompanyFactory, make_route

pytestmark = pytest.mark.django_db
URL = "/api/v1/stations/"


@pytest.fixture
def stations():
    made = {}
    for code, name, aliases in [
        ("NDLS", "New Delhi", ["Delhi"]),
        ("NZM", "Hazrat Nizamuddin", []),
        ("DLI", "Old Delhi", []),
        ("HWH", "Howrah Jn", ["Kolkata"]),
        ("HWHG", "Howrah Goods", []),
        ("ALD", "Allahabad Jn", ["Prayagraj Jn"]),
        ("MAO", "Madgaon", ["MADGOAN JN."]),
    ]:
        made[code] = station_upsert(
            code=code,
            name=name,
            time_zone="Asia/Kolkata",
            latitude=20.0,
            longitude=78.0,
            aliases=aliases,
        )
    company = CompanyFactory(kind="rail")
    # Howrah Jn is busier than Howrah Goods: it ranks first among equal matches.
    make_route(company, [(made["HWH"], 0, None, 0), (made["NDLS"], 1450, 1000, None)])
    return made


def _lookup(api_client, q, **params):
    response = api_client.get(URL, {"q": q, **params})
    assert response.status_code == 200
    return [(r["code"], r["match"]) for r in response.json()["results"]]


def test_exact_code_comes_first_whatever_the_case(api_client, stations):
    assert _lookup(api_client, "ndls") == [("NDLS", "code")]


def test_code_and_name_prefixes_rank_busier_stations_first(api_client, stations):
    assert _lookup(api_client, "HW") == [("HWH", "code_prefix"), ("HWHG", "code_prefix")]
    assert _lookup(api_client, "howrah") == [("HWH", "name_prefix"), ("HWHG", "name_prefix")]


def test_aliases_find_renamed_and_misspelt_stations(api_client, stations):
    assert _lookup(api_client, "Prayagraj") == [("ALD", "alias")]
    assert _lookup(api_client, "madgoan jn") == [("MAO", "alias")]


def test_a_word_inside_the_name_matches(api_client, stations):
    assert _lookup(api_client, "delhi") == [("NDLS", "alias"), ("DLI", "word")]


def test_typos_fall_back_to_look_alike_names(api_client, stations):
    assert _lookup(api_client, "Howarh Jn") == [("HWH", "fuzzy")]


def test_limit_caps_the_results(api_client, stations):
    assert len(_lookup(api_client, "h", limit=1)) == 1


def test_station_payload_has_coordinates_and_time_zone(api_client, stations):
    response = api_client.get(URL, {"q": "MAO"})

    assert response.json() == {
        "results": [
            {
                "code": "MAO",
                "name": "Madgaon",
                "city": "",
                "region": "",
                "latitude": 20.0,
                "longitude": 78.0,
                "time_zone": "Asia/Kolkata",
                "match": "code",
            }
        ]
    }


def test_missing_query_is_a_field_error(api_client, stations):
    response = api_client.get(URL)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"q": ["This field is required."]}
