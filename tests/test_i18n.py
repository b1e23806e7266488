"""The UI speaks Chinese first: the catalogue must translate every message, with nothing fuzzy,
and every %(placeholder)s of a message must survive in its translation."""

import re
from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_catalogue_is_complete():
    catalogue = polib.pofile(str(PO))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, untranslated
    assert not fuzzy, fuzzy
    assert len(catalogue.translated_entries()) > 150


def test_placeholders_survive_translation():
    for entry in polib.pofile(str(PO)).translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            # The same placeholders (a translation may repeat one, e.g. a unit after each number).
            expected = set(PLACEHOLDER.findall(entry.msgid))
            assert set(PLACEHOLDER.findall(text)) == expected, entry.msgid


def test_compiled_catalogue_is_used():
    with translation.override("zh-hans"):
        assert translation.gettext("Institutions") == "机构"
        assert translation.gettext("Performance Appraisal System") == "绩效考核系统"
    with translation.override("en"):
        assert translation.gettext("Institutions") == "Institutions"
