"""Phone numbers as people write them ("+91 98765 43210", "098765-43210", "0091 98765
43210"), kept in E.164 ("+919876543210"): one form to store, compare and send SMS to."""

import phonenumbers
import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def phone_example(*, region: str | None = None) -> str:
    """A mobile number of `region` (default TTMS_PHONE_REGION) as people write it, with its
    country code: "+91 81234 56789"."""
    example = phonenumbers.example_number_for_type(
        region or settings.TTMS_PHONE_REGION, phonenumbers.PhoneNumberType.MOBILE
    )
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_normalize(text: str | None, *, region: str | None = None, required: bool = False) -> str:
    """The E.164 form of the phone number in `text`; "" when `text` is blank, unless
    `required`.

    Spaces, dashes, dots and brackets are ignored; a number without its country code (or
    with the trunk 0) is read as one of `region`, default settings.TTMS_PHONE_REGION. E.164
    input comes back unchanged. Raises ValidationError, with a message for the person who
    typed it, when `text` is not a number that can be dialled (or is blank and `required`).
    """
    text = (text or "").strip()
    region = region or settings.TTMS_PHONE_REGION
    if not text and not required:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        country = pycountry.countries.get(alpha_2=region)
        raise ValidationError(
            _(
                "Enter a valid phone number, e.g. %(example)s (a number in %(country)s may "
                "leave out +%(code)d)."
            )
            % {
                "example": phone_example(region=region),
                "country": country.name if country else region,
                "code": phonenumbers.country_code_for_region(region),
            },
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
