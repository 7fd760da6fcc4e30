"""The API's JSON parser: DRF's, with a limit on nesting (ttms.jsonlimits)."""

from django.utils.translation import gettext
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from ttms.jsonlimits import JSONTooDeep, json_loads_limited


class JSONParser(parsers.JSONParser):
    """Parses a JSON body; a malformed body, a body in an unknown encoding and one nested
    deeper than ttms.jsonlimits.MAX_JSON_DEPTH all raise ParseError (400 in the error
    shape). NaN and Infinity are refused, as DRF's strict parser does."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json_loads_limited(
                stream.read().decode(encoding),
                parse_constant=strict_constant if self.strict else None,
            )
        except JSONTooDeep as exc:
            raise ParseError(str(exc)) from exc
        except (ValueError, LookupError) as exc:
            raise ParseError(gettext("JSON parse error - %(reason)s") % {"reason": exc}) from exc
