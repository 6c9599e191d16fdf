"""Check that the Vietnamese catalogue is complete and compiled.

    python -m lachan.core.i18n_check          # report; exit 1 when something is missing
    python -m lachan.core.i18n_check --update # run makemessages (vi) in place, keep translations

Completeness: makemessages is run on a temporary copy of the package, and every msgid it finds
must have a non-empty, non-fuzzy Vietnamese msgstr in lachan/locale/vi/LC_MESSAGES/django.po;
the committed django.mo must hold exactly the .po's translations."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

PACKAGE = Path(__file__).resolve().parents[1]
PO = PACKAGE / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def extract_msgids():
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "lachan"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "static"))
        (copy / "locale").mkdir()
        subprocess.run(
            [sys.executable, "-m", "django", "makemessages", "-l", "vi", "--no-location", "--no-wrap", "-i", "tests/*",
             "-i", "testing/*"],
            cwd=copy, check=True, capture_output=True, env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": ""},
        )
        generated = polib.pofile(str(copy / "locale" / "vi" / "LC_MESSAGES" / "django.po"))
        return {(e.msgctxt, e.msgid): e for e in generated if not e.obsolete}


def problems():
    found = extract_msgids()
    if not PO.exists():
        return [f"missing {PO}"]
    po = polib.pofile(str(PO))
    translated = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    out = []
    for key, entry in sorted(found.items(), key=lambda kv: kv[0][1]):
        have = translated.get(key)
        if have is None:
            out.append(f"untranslated (not in .po): {entry.msgid!r}")
        elif "fuzzy" in have.flags:
            out.append(f"fuzzy: {entry.msgid!r}")
        elif not (have.msgstr or any(have.msgstr_plural.values())):
            out.append(f"empty translation: {entry.msgid!r}")
    if not MO.exists():
        out.append(f"missing compiled catalogue {MO}")
    else:
        mo = {(e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in polib.mofile(str(MO)) if e.msgid}
        expected = {(e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in po.translated_entries() if e.msgid}
        if mo != expected:
            out.append("django.mo is out of date: run `python -m lachan.core.i18n_check --compile`")
    return out


def main(argv):
    if "--update" in argv:
        subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "vi", "--no-location", "--no-wrap",
                        "-i", "tests/*", "-i", "testing/*"], cwd=PACKAGE, check=True,
                       env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": ""})
    if "--compile" in argv or "--update" in argv:
        polib.pofile(str(PO)).save_as_mofile(str(MO))
    issues = problems()
    for line in issues:
        print(line)
    print(f"{len(issues)} translation problem(s)")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
