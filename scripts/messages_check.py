"""`make messages-check`: the committed catalogues hold every message of the code, each
translated, and their compiled .mo files match them.

The catalogue is regenerated (`manage.py makemessages`, the options `make messages` uses) in a
temporary copy of the source tree, so the working tree is never written. For each language
of `settings.LANGUAGES` but English (the source language), the check fails, listing them, on
messages of the code missing from `locale/<lang>/LC_MESSAGES/django.po`, on messages there
whose translation is empty or fuzzy, and on a `django.mo` that is not the compiled `.po`.
Messages the code no longer has are reported, not failed: `make messages` drops them.

Needs GNU gettext (xgettext, msgmerge), as makemessages does. Exit status 0 or 1.
"""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The same as the Makefile's MESSAGES_OPTIONS.
MAKEMESSAGES_OPTIONS = [
    "--no-location",
    "--no-obsolete",
    "--ignore=tests",
    "--ignore=bench",
    "--ignore=scripts",
    "--ignore=conftest.py",
]


DOTTED_PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\.[^)]*\)s")


def po_parse(path: Path) -> dict:
    """The entries of a .po file made by GNU gettext: (msgctxt, msgid) -> {"plural": bool,
    "strings": [msgstr, ...], "fuzzy": bool}; the header (msgid "") is left out."""
    entries, entry, field = {}, None, None

    def close():
        if entry is not None and entry.get("msgid"):
            key = (entry.get("msgctxt"), entry["msgid"])
            strings = [entry[k] for k in sorted(k for k in entry if k.startswith("msgstr"))]
            entries[key] = {
                "plural": "msgid_plural" in entry,
                "msgid_plural": entry.get("msgid_plural"),
                "strings": strings,
                "fuzzy": entry.get("fuzzy", False),
            }

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            close()
            entry, field = None, None
            continue
        if entry is None:
            entry = {}
        if line.startswith("#,"):
            entry["fuzzy"] = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
    close()
    return entries


def mo_expected(entries: dict) -> dict:
    """The catalogue a .mo compiled from `entries` holds, as Python's gettext reads it:
    fuzzy and untranslated entries are left out, as msgfmt does."""
    catalog = {}
    for (context, msgid), entry in entries.items():
        if entry["fuzzy"] or not all(entry["strings"]):
            continue
        key = f"{context}\x04{msgid}" if context else msgid
        if entry["plural"]:
            for n, text in enumerate(entry["strings"]):
                catalog[(key, n)] = text
        else:
            catalog[key] = entry["strings"][0]
    return catalog


def regenerated(language: str) -> dict:
    """The catalogue of `language` as makemessages makes it from the current source tree."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    with tempfile.TemporaryDirectory(prefix="ttms-messages-") as tmp:
        copy = Path(tmp)
        for name in filter(None, (f.decode() for f in files)):
            source = ROOT / name
            if source.is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy / name)
        env = {**os.environ, "DJANGO_DEBUG": "1"}
        made = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                f"--locale={language}",
                "--verbosity=0",
                *MAKEMESSAGES_OPTIONS,
            ],
            cwd=copy,
            env=env,
            check=False,
        )
        if made.returncode:
            raise SystemExit("manage.py makemessages failed (above): the check could not run")
        return po_parse(copy / "locale" / language / "LC_MESSAGES" / "django.po")


def _show(key) -> str:
    context, msgid = key
    return f"  {msgid!r}" + (f" (context {context!r})" if context else "")


def check(language: str) -> list[str]:
    """What is wrong with `language`'s committed catalogue, one line each."""
    directory = ROOT / "locale" / language / "LC_MESSAGES"
    po_path, mo_path = directory / "django.po", directory / "django.mo"
    if not po_path.is_file():
        return [f"{po_path.relative_to(ROOT)} is missing: run make messages"]
    committed = po_parse(po_path)
    code = regenerated(language)
    problems = []
    missing = [key for key in code if key not in committed]
    if missing:
        problems.append(f"{language}: {len(missing)} message(s) of the code not in the catalogue:")
        problems += [_show(key) for key in missing]
    untranslated = [
        key
        for key, entry in committed.items()
        if key in code and (entry["fuzzy"] or not all(entry["strings"]))
    ]
    if untranslated:
        problems.append(f"{language}: {len(untranslated)} message(s) untranslated or fuzzy:")
        problems += [_show(key) for key in untranslated]
    # A template's {% blocktranslate %} renders "{{ user.email }}" as nothing: a dotted
    # name must be bound first ("with email=user.email"); makemessages keeps it as
    # %(user.email)s, which gives it away.
    dotted = [key for key in code if DOTTED_PLACEHOLDER.search(key[1])]
    if dotted:
        problems.append(
            f"{language}: {len(dotted)} message(s) with a dotted placeholder, which renders "
            "empty: bind it in the template ({% blocktranslate with name=object.field %}):"
        )
        problems += [_show(key) for key in dotted]
    if not mo_path.is_file():
        problems.append(f"{mo_path.relative_to(ROOT)} is missing: run make messages")
    else:
        with mo_path.open("rb") as mo:
            compiled = dict(gettext.GNUTranslations(mo)._catalog)
        compiled.pop("", None)  # the header
        if compiled != mo_expected(committed):
            problems.append(
                f"{mo_path.relative_to(ROOT)} is not the compiled django.po: run make messages"
            )
    gone = [key for key in committed if key not in code]
    if gone:
        print(
            f"{language}: {len(gone)} message(s) no longer in the code (make messages drops them)"
        )
    return problems


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ttms.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.conf import settings  # the settings module only: no app is loaded

    languages = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    problems = [line for language in languages for line in check(language)]
    for line in problems:
        print(line)
    if problems:
        print("Translate them in locale/<language>/LC_MESSAGES/django.po (docs/translations.md).")
        return 1
    print(f"messages: {', '.join(languages)} complete, compiled catalogues up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
