"""Who sees which company's figures, on every dashboard and export: a matrix of roles ×
pages. Company staff see their company only (also when the query string names another);
platform admins see all; people who may not use the admin are sent to its sign-in page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

OPERATOR = "/admin/dashboard/operator/"
PLATFORM = "/admin/dashboard/platform/"
RANGE = "start=2030-01-01&end=2030-01-08"

PAGES = [
    ("home", "/admin/?" + RANGE),
    ("operator", OPERATOR + "?" + RANGE),
    ("operator-departures", OPERATOR + "?export=departures&" + RANGE),
    ("operator-money", OPERATOR + "?export=money&" + RANGE),
    ("operator-routes", OPERATOR + "?export=routes&" + RANGE),
    ("operator-pairs", OPERATOR + "?export=pairs&" + RANGE),
    ("operator-currencies", OPERATOR + "?export=currencies&" + RANGE),
    ("operator-road", OPERATOR + "?export=road&" + RANGE),
    ("platform", PLATFORM + "?" + RANGE),
    ("platform-money", PLATFORM + "?export=money&" + RANGE),
    ("platform-currencies", PLATFORM + "?export=currencies&" + RANGE),
    ("platform-companies", PLATFORM + "?export=companies&" + RANGE),
    ("platform-vehicles", PLATFORM + "?export=vehicles&" + RANGE),
]

# Per role: the status of every page (in PAGES' order), and whose rows a 200 may show.
# "A" Alpha's, "B" Beta's; the departures are today's and tomorrow's, read on 2030-01-07;
# vehicles on the road are none (nothing departed).
MATRIX = {
    #               home oper dep  mon  rte  pair cur  road plat pmon pcur pcom pveh
    "platform":    ([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200], "AB"),
    "a_admin":     ([200, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403], "A"),
    "a_scheduler": ([200, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403], "A"),
    "b_admin":     ([200, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403], "B"),
    "driver":      ([302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302], ""),
    "agent":       ([302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302], ""),
    "passenger":   ([302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302], ""),
}  # fmt: skip

# What names a company's rows in each page: its name, and its stations' codes and currency.
MARKS = {"A": ["Alpha Rail", "AA1"], "B": ["Beta Rail", "CC1"]}
# Pages that show no company's name in a row whatever the data (vehicles: none on the road).
SILENT = {"operator-road", "operator-currencies", "platform-vehicles", "platform-currencies"}


@pytest.mark.parametrize("role", list(MATRIX))
def test_each_role_sees_only_its_companies(role, world, read_at, client):
    client.force_login(world.users[role])
    statuses, sees = MATRIX[role]

    answers = {}
    for name, url in PAGES:
        response = client.get(url)
        answers[name] = response.status_code
        if response.status_code != 200 or name in SILENT:
            continue
        body = response.content.decode()
        for company, marks in MARKS.items():
            visible = any(mark in body for mark in marks)
            assert visible == (company in sees), (role, name, company)
    assert answers == dict(zip([n for n, _u in PAGES], statuses, strict=True))


@pytest.mark.parametrize("role", ["a_admin", "a_scheduler"])
def test_naming_another_company_in_the_query_shows_none_of_its_numbers(
    role, world, read_at, client
):
    client.force_login(world.users[role])
    for url in (
        f"{OPERATOR}?company={world.b.pk}&{RANGE}",
        f"{OPERATOR}?company={world.b.pk}&export=money&{RANGE}",
        f"{OPERATOR}?route={world.tb.route_id}&{RANGE}",
        f"{OPERATOR}?route={world.tb.route_id}&export=departures&{RANGE}",
    ):
        response = client.get(url)
        body = response.content.decode()
        assert "Beta Rail" not in body and "CC1" not in body and "KES" not in body, url
        assert response.status_code in (200, 400), url


def test_a_route_of_another_company_is_an_invalid_choice(world, read_at, client):
    client.force_login(world.users["a_admin"])
    response = client.get(f"{OPERATOR}?route={world.tb.route_id}")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_company_staff_see_their_money_the_platform_both_currencies(world, read_at, client):
    client.force_login(world.users["a_admin"])
    alpha = client.get(f"{OPERATOR}?export=money&{RANGE}").content.decode().splitlines()
    client.force_login(world.users["platform"])
    both = client.get(f"{PLATFORM}?export=currencies&{RANGE}").content.decode().splitlines()
    assert alpha == [
        "day,company,currency,sales,sales_count,refunds,refunds_count,commission,net,tickets",
        "2030-01-05,Alpha Rail,INR,10000.00,3,0.00,0,500.00,9500.00,10",
        "2030-01-06,Alpha Rail,INR,0.00,0,800.00,1,-40.00,-760.00,0",
        "2030-01-07,Alpha Rail,INR,2000.00,1,0.00,0,100.00,1900.00,2",
    ]
    assert both == [
        "company,currency,sales,refunds,commission,net,tickets",
        ",INR,12000.00,800.00,560.00,10640.00,12",
        ",KES,500.00,0.00,25.00,475.00,1",
    ]


def test_the_platform_admin_filters_one_company(world, read_at, client):
    client.force_login(world.users["platform"])
    rows = client.get(f"{PLATFORM}?company={world.b.pk}&export=companies&{RANGE}")
    assert rows.content.decode().splitlines() == [
        "company,currency,sales,refunds,commission,net,tickets",
        "Beta Rail,KES,500.00,0.00,25.00,475.00,1",
    ]


def test_the_admin_home_is_the_dashboard_and_the_models_are_one_click_away(world, client):
    client.force_login(world.users["a_admin"])
    home = client.get(reverse("admin:index"))
    models = client.get(reverse("admin-models"))
    assert reverse("admin:index") == reverse("admin-dashboard") == "/admin/"
    assert "Operator dashboard" in home.content.decode()
    assert reverse("admin-models") in home.content.decode()
    assert models.status_code == 200
    assert reverse("admin:fleet_trip_changelist") in models.content.decode()


def test_the_platform_admin_home_is_the_platform_dashboard(world, client):
    client.force_login(world.users["platform"])
    home = client.get("/admin/")
    assert home.status_code == 200
    assert "Platform dashboard" in home.content.decode()


def test_staff_of_no_company_get_the_models_list(db, client):
    from ttms.accounts.models import Role
    from ttms.accounts.tests.factories import UserFactory

    client.force_login(UserFactory(role=Role.COMPANY_ADMIN, is_staff=True))
    home = client.get("/admin/")
    assert home.status_code == 200
    assert "Operator dashboard" not in home.content.decode()
    assert client.get(OPERATOR).status_code == 403


@pytest.mark.parametrize(
    "query",
    ["start=2030-13-01", "start=tomorrow", "start=2030-01-09&end=2030-01-01",
     "start=2020-01-01&end=2030-01-01", "company=abc", "route=999999",
     "start=" + "9" * 300, "end=9999-12-31",
     "end=0001-01-05", "start=0001-01-01&end=0001-01-02",
     "company=99999999999999999999999", "route=-1"],
)  # fmt: skip
def test_a_bad_filter_is_a_400_with_the_form_error_never_a_500(query, world, client):
    client.force_login(world.users["platform"])
    for url in (OPERATOR, PLATFORM):
        page = client.get(f"{url}?{query}")
        export = client.get(f"{url}?{query}&export=money")
        if "route" in query and url == PLATFORM:
            assert page.status_code == 200  # the platform's filter has no route
            continue
        assert (page.status_code, export.status_code) == (400, 400), (url, query)
        assert 'class="errorlist' in page.content.decode()


def test_an_unknown_table_is_a_400(world, client):
    client.force_login(world.users["platform"])
    response = client.get(f"{OPERATOR}?export=nothing")
    assert response.status_code == 400
    assert response.content.decode() == "There is no table nothing to export."


def test_the_dashboard_costs_a_bounded_number_of_queries(
    world, read_at, client, django_assert_max_num_queries
):
    from booking.tests.factories import adult

    from .conftest import BOOKED_AT, book

    client.force_login(world.users["a_admin"])
    with django_assert_max_num_queries(40):
        client.get(f"{OPERATOR}?{RANGE}")
    # More bookings, same number of queries.
    for _ in range(3):
        book(world.t2, [adult("X"), adult("Y")], user=world.users["passenger"],
             origin="BB1", destination="BB2", at=BOOKED_AT)  # fmt: skip
    with django_assert_max_num_queries(40):
        client.get(f"{OPERATOR}?{RANGE}")
    client.force_login(world.users["platform"])
    with django_assert_max_num_queries(30):
        client.get(f"{PLATFORM}?{RANGE}")
