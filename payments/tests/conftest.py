import pytest

from ttms.accounts.models import Role

from .factories import AgentFactory, CompanyFactory, PassengerFactory
from .fake_mobilemoney import FakeMobileMoney

SANDBOX_SECRET = "sandbox-test-secret"
MOBILEMONEY_SECRET = "mobilemoney-test-secret"
MOBILEMONEY_KEY = "mobilemoney-test-key"


@pytest.fixture(autouse=True)
def payments_settings(settings):
    """Both providers on, with test secrets; the payments pages routed."""
    settings.TTMS_PAYMENT_PROVIDERS = ["sandbox", "mobilemoney"]
    settings.TTMS_SANDBOX_WEBHOOK_SECRET = SANDBOX_SECRET
    settings.TTMS_MOBILEMONEY_BASE_URL = "http://127.0.0.1:9"
    settings.TTMS_MOBILEMONEY_API_KEY = MOBILEMONEY_KEY
    settings.TTMS_MOBILEMONEY_WEBHOOK_SECRET = MOBILEMONEY_SECRET
    settings.TTMS_MOBILEMONEY_CALLBACK_URL = (
        "http://testserver/api/v1/payments/webhooks/mobilemoney/"
    )
    settings.TTMS_MOBILEMONEY_TIMEOUT_MS = 2000
    settings.TTMS_CURRENCY = "INR"
    settings.ROOT_URLCONF = "payments.tests.urls"
    return settings


@pytest.fixture
def passenger(db):
    return PassengerFactory(email="asha@example.com", full_name="Asha Rao")


@pytest.fixture
def agent(db):
    return AgentFactory(email="anil@example.com", full_name="Anil Kumar", role=Role.AGENT)


@pytest.fixture
def company(db):
    return CompanyFactory(name="Konkan Rail", slug="konkan", commission_bp=500)


@pytest.fixture
def passenger_client(api_client, passenger):
    api_client.force_authenticate(passenger)
    return api_client


@pytest.fixture
def fake_mobilemoney(payments_settings):
    fake = FakeMobileMoney(api_key=MOBILEMONEY_KEY, secret=MOBILEMONEY_SECRET).start()
    payments_settings.TTMS_MOBILEMONEY_BASE_URL = fake.base_url
    yield fake
    fake.stop()
