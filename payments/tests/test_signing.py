"""The webhook signature header's parser: anything malformed is one documented refusal."""

import pytest

from payments.exceptions import WebhookSignatureInvalid
from payments.topups.providers import signing

SECRET = "signing-test-secret"
BODY = b'{"id":"evt_1"}'
NOW = 1_700_000_000
DIGEST = "a" * 64


def test_a_header_of_one_timestamp_and_several_signatures_parses():
    header = f"t={NOW}, v1={DIGEST},v0=ignored,v1={'b' * 64}"

    assert signing.parse_header(header) == (NOW, [DIGEST, "b" * 64])


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=²,v1=0",  # a superscript two: str.isdigit() says yes, int() says no
        f"t=١٧٠٠٠٠٠٠٠٠,v1={DIGEST}",  # Arabic-Indic digits
        f"t=１７,v1={DIGEST}",  # full-width digits
        f"t=-5,v1={DIGEST}",
        f"t=+5,v1={DIGEST}",
        f"t=,v1={DIGEST}",
        f"t=1e9,v1={DIGEST}",
        f"t={'9' * 40},v1={DIGEST}",
        f"t={NOW},t={NOW},v1={DIGEST}",
        f"v1={DIGEST}",
        f"t={NOW}",
        f"t={NOW},v1=",
        f"t={NOW},v1=xyz",
        f"t={NOW},v1={'A' * 64}",
        f"t={NOW},v1={'a' * 63}",
        f"t={NOW},v1={'a' * 64}\x00",
        f"t={NOW},v1={'ａ' * 64}",
        f"t={NOW},garbage,v1={DIGEST}",
        f"t={NOW},v1={DIGEST}," + ",".join([f"v1={DIGEST}"] * 20),
        "t=" + "1" * 10_000,
    ],
)
def test_any_malformed_header_is_refused_with_the_one_documented_error(header):
    with pytest.raises(WebhookSignatureInvalid) as refused:
        signing.parse_header(header)

    assert refused.value.status_code == 401
    assert refused.value.code == "invalid_signature"


def test_verify_refuses_a_header_with_a_non_ascii_digit_timestamp():
    with pytest.raises(WebhookSignatureInvalid) as refused:
        signing.verify(secret=SECRET, header="t=²,v1=0", body=BODY, tolerance_seconds=300, now=NOW)

    assert refused.value.message == "The signature header is malformed."


def test_verify_accepts_what_sign_signs_and_refuses_another_body():
    header = signing.sign(secret=SECRET, body=BODY, timestamp=NOW)

    assert (
        signing.verify(
            secret=SECRET, header=header, body=BODY, tolerance_seconds=300, now=NOW + 300
        )
        is None
    )
    with pytest.raises(WebhookSignatureInvalid):
        signing.verify(
            secret=SECRET, header=header, body=BODY + b" ", tolerance_seconds=300, now=NOW
        )
