"""Settlement runs in the admin: the statement as a page, CSV and PDF; who may see and make
them (a matrix)."""

import re
from datetime import date

import pytest

from payments.ledger.settlements import settlement_run
from payments.models import SettlementRun, Transaction
from payments.statements import statement_pdf
from ttms.accounts.models import Role

from .factories import CompanyFactory, PassengerFactory
from .settlement_data import at, march_ledger, platform_admin, staff_of

pytestmark = pytest.mark.django_db

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}
RUNS = "/admin/payments/settlementrun/"


@pytest.fixture
def runs(company, agent):
    """Konkan's March run and Deccan's (its one sale of ₹30.00 on 5 March)."""
    data = march_ledger(company, agent)
    with at(2026, 4, 2, 9, 30):
        mine = settlement_run(company=company, by=None, **MARCH)
        theirs = settlement_run(company=data["other"], by=None, **MARCH)
    return {**data, "mine": mine, "theirs": theirs}


def pages(run) -> dict[str, str]:
    return {
        "page": f"{RUNS}{run.pk}/change/",
        "csv": f"{RUNS}{run.pk}/statement.csv",
        "pdf": f"{RUNS}{run.pk}/statement.pdf",
    }


def test_statement_page_shows_the_figures_in_the_company_currency_and_zone(client, runs):
    client.force_login(platform_admin())

    response = client.get(pages(runs["mine"])["page"])

    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.content.decode())
    assert [
        (line["label"], line["count"], line["amount"]) for line in response.context["lines"]
    ] == [
        ("Sales", 4, "₹210.01"),
        ("Refunds", 1, "-₹50.00"),
        ("Platform commission (5%)", None, "-₹8.00"),
        ("Net for the period", None, "₹152.01"),
        ("Paid out", None, "₹152.01"),
    ]
    assert "Konkan Rail" in text
    assert "1 March 2026 to 31 March 2026 (Asia/Kolkata)" in text
    assert "SET-konkan-20260301-20260331 on 02 Apr 2026 09:30 IST" in text
    assert "Tue 31 Mar 2026" in text
    assert "₹38.00" in text


def test_statement_csv_has_a_row_per_day_and_the_total(client, runs):
    client.force_login(platform_admin())

    response = client.get(pages(runs["mine"])["csv"])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="SET-konkan-20260301-20260331.csv"'
    )
    reference = "SET-konkan-20260301-20260331,Konkan Rail,INR"
    assert response.content.decode().splitlines() == [
        "reference,company,currency,day,sales,sales_count,refunds,refunds_count,commission,"
        "net,brought_forward,paid,carried_forward",
        f"{reference},2026-03-05,170.01,3,0.00,0,8.50,161.51,,,",
        f"{reference},2026-03-06,0.00,0,50.00,1,-2.50,-47.50,,,",
        f"{reference},2026-03-31,40.00,1,0.00,0,2.00,38.00,,,",
        f"{reference},total,210.01,4,50.00,1,8.00,152.01,0.00,152.01,0.00",
    ]


def test_statement_pdf_is_an_a4_pdf_naming_the_company_and_the_net(client, runs):
    client.force_login(platform_admin())

    response = client.get(pages(runs["mine"])["pdf"])

    body = response.content
    assert response["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF-")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in body
    # The text is in compressed, subset-font streams; pypdfium2 (a development tool, not a
    # dependency) reads it back where installed.
    pdfium = pytest.importorskip("pypdfium2")
    page = pdfium.PdfDocument(body)[0]
    text = page.get_textpage().get_text_range()
    assert "Konkan Rail" in text
    assert "₹152.01" in text
    assert "SET-konkan-20260301-20260331" in text


def test_statement_pdf_of_a_company_named_in_devanagari_renders(runs):
    company = CompanyFactory(name="कोंकण रेलवे", slug="konkan-hi")
    PassengerFactory()
    with at(2026, 4, 2):
        run = settlement_run(company=company, by=None, **MARCH)

    body = statement_pdf(run)

    assert body.startswith(b"%PDF-")
    assert (run.net, run.payout) == (0, None)


def test_new_run_form_defaults_to_the_day_after_the_last_run_up_to_yesterday(client, runs):
    client.force_login(platform_admin())

    with at(2026, 4, 20):
        response = client.get(f"{RUNS}add/", {"company": runs["company"].pk})

    form = response.context["form"]
    assert response.status_code == 200
    assert (form.initial["period_start"], form.initial["period_end"]) == (
        date(2026, 4, 1),
        date(2026, 4, 19),
    )


def test_platform_admin_makes_a_run_from_the_form(client, runs):
    admin = platform_admin()
    client.force_login(admin)

    with at(2026, 4, 20):
        response = client.post(
            f"{RUNS}add/",
            {
                "company": runs["company"].pk,
                "period_start": "2026-04-01",
                "period_end": "2026-04-19",
            },
        )

    run = SettlementRun.objects.get(period_start=date(2026, 4, 1))
    assert response.status_code == 302
    assert response["Location"] == f"{RUNS}{run.pk}/change/"
    assert (run.net, run.payout_amount, run.created_by) == (2_850, 2_850, admin)


def test_an_overlapping_run_from_the_form_is_a_409_with_the_reason(client, runs):
    client.force_login(platform_admin())

    with at(2026, 4, 20):
        response = client.post(
            f"{RUNS}add/",
            {
                "company": runs["company"].pk,
                "period_start": "2026-03-20",
                "period_end": "2026-04-19",
            },
        )

    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [
        "This period overlaps the settlement run SET-konkan-20260301-20260331, which covers "
        "1 March 2026 to 31 March 2026."
    ]
    assert SettlementRun.objects.count() == 2
    assert Transaction.objects.filter(kind="payout").count() == 2


@pytest.mark.parametrize(
    "data",
    [
        {"company": "x", "period_start": "2026-03-01", "period_end": "2026-03-02"},
        {"company": "1", "period_start": "9999-12-31", "period_end": "9999-12-31"},
        {"company": "1", "period_start": "yesterday", "period_end": ""},
    ],
)
def test_bad_form_input_is_a_400_not_a_500(client, runs, data):
    client.force_login(platform_admin())

    response = client.post(f"{RUNS}add/", data)

    assert response.status_code == 400
    assert SettlementRun.objects.count() == 2


def test_platform_admin_sees_every_run(client, runs):
    client.force_login(platform_admin())

    listed = client.get(RUNS).context["cl"].result_list

    assert {run.pk for run in listed} == {runs["mine"].pk, runs["theirs"].pk}
    for url in [*pages(runs["mine"]).values(), *pages(runs["theirs"]).values()]:
        assert client.get(url).status_code == 200, url


def test_company_admin_reads_only_their_company_runs_and_makes_none(client, runs):
    client.force_login(staff_of(runs["company"]))

    listed = client.get(RUNS).context["cl"].result_list

    assert [run.pk for run in listed] == [runs["mine"].pk]
    for url in pages(runs["mine"]).values():
        assert client.get(url).status_code == 200, url
    for url in pages(runs["theirs"]).values():
        assert client.get(url).status_code == 404, url
    assert client.get(f"{RUNS}add/").status_code == 403
    assert (
        client.post(
            f"{RUNS}add/",
            {
                "company": runs["company"].pk,
                "period_start": "2026-04-01",
                "period_end": "2026-04-01",
            },
        ).status_code
        == 403
    )
    assert client.get(f"{RUNS}{runs['mine'].pk}/delete/").status_code == 403
    assert SettlementRun.objects.count() == 2


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.DRIVER, Role.AGENT])
def test_other_staff_of_the_company_get_no_statements(client, runs, role):
    client.force_login(staff_of(runs["company"], role=role))

    statuses = {name: client.get(url).status_code for name, url in pages(runs["mine"]).items()}
    listing = client.get(RUNS).status_code

    # Schedulers are staff (403: no access); drivers and agents are not (to the login).
    expected = 403 if role == Role.SCHEDULER else 302
    assert statuses == {"page": expected, "csv": expected, "pdf": expected}
    assert listing == expected


def test_passenger_gets_no_statements(client, runs):
    client.force_login(runs["passenger"])

    statuses = {name: client.get(url).status_code for name, url in pages(runs["mine"]).items()}

    assert statuses == {"page": 302, "csv": 302, "pdf": 302}


def test_signed_out_visitor_is_sent_to_the_login_page(client, runs):
    login = client.get("/admin/login/")
    statement = client.get(pages(runs["mine"])["pdf"])

    assert login.status_code == 200
    assert statement.status_code == 302
    assert statement["Location"].startswith("/admin/login/")


def test_unknown_or_malformed_run_id_is_a_404(client, runs):
    client.force_login(platform_admin())

    assert client.get(f"{RUNS}999999/statement.pdf").status_code == 404
    assert client.get(f"{RUNS}abc/statement.csv").status_code == 404
    assert client.get(f"{RUNS}99999999999999999999999/change/").status_code == 404
