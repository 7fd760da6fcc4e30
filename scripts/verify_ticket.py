"""Check a TTMS ticket offline, with nothing but its text, the Ed25519 public keys and the
`cryptography` package (no Django, no server): what a scanner app does without a network.

    python scripts/verify_ticket.py KEYS_JSON TICKET_TEXT [AT]

KEYS_JSON is the answer of GET /api/v1/tickets/keys/ (or a manifest's `public_keys`),
as a file or `-` for standard input. Prints the ticket's fields as JSON and exits 0 when
the signature holds and the ticket is valid now (or at AT, Unix seconds); prints the
reason and exits 1 when not.
(Whether the passenger was cancelled is in the manifest's signed revocation list.)
"""

import base64
import json
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def b32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(ticket: str, keys: list[dict]) -> dict:
    """The ticket's body once its Ed25519 signature is checked; ValueError otherwise."""
    parts = ticket.strip().split(".")
    if len(parts) != 5 or parts[0] != "TT1":
        raise ValueError("not a TT1 ticket")
    kind, kid, body, signature, _hmac = parts  # the HMAC is for the server only
    public = {k["kid"]: k["public_key"] for k in keys if k.get("algorithm") == "Ed25519"}
    if kid not in public:
        raise ValueError(f"unknown key id {kid}")
    key = Ed25519PublicKey.from_public_bytes(b64url(public[kid]))
    try:
        key.verify(b32(signature), f"{kind}.{kid}.{body}".encode("ascii"))
    except InvalidSignature:
        raise ValueError("the Ed25519 signature does not match") from None
    return json.loads(b32(body))


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    source = sys.stdin if argv[1] == "-" else open(argv[1], encoding="utf-8")  # noqa: SIM115
    with source:
        keys = json.load(source)
    try:
        body = verify(argv[2], keys)
    except ValueError as exc:
        print(f"refused: {exc}")
        return 1
    now = float(argv[3]) if len(argv) == 4 else time.time()
    if not body["nb"] <= now <= body["na"]:
        print("refused: " + ("not valid yet" if now < body["nb"] else "expired"))
        return 1
    print(json.dumps(body, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
