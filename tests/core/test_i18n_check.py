"""The French-catalogue lint also catches what a form would show in English."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy

from disquaire.core import i18n_check


def test_plain_labels_help_texts_and_choices_in_form_sources_are_caught(tmp_path: Path) -> None:
    source = tmp_path / "forms_x.py"
    source.write_text(
        "from django import forms\n"
        "from django.utils.translation import gettext_lazy as _\n"
        "class F(forms.Form):\n"
        "    def __init__(self):\n"
        "        self.fields['a'] = forms.CharField(label='Plain label', help_text=_('ok'))\n"
        "        self.fields['b'] = forms.CharField(label=_('Marked'), help_text=f'Hi {1}')\n"
        "        self.fields['c'] = forms.ChoiceField(choices=[('x', 'Plain choice'),"
        " ('y', _('Marked')), ('EUR', 'EUR')])\n"
    )
    problems = i18n_check.form_source_problems([source])
    assert len(problems) == 3
    assert "Plain label" in problems[0] and "help_text" in problems[1]
    assert "Plain choice" in problems[2]


def test_form_fields_a_french_reader_would_see_in_english_are_caught() -> None:
    class Untranslated(forms.Form):
        plain = forms.CharField(label="Ship name")
        lazy_missing = forms.CharField(label=gettext_lazy("Not in any catalogue xyz"))
        fine = forms.CharField(label=gettext_lazy("Email"))
        same_word = forms.CharField(label=gettext_lazy("Description"))
        choice = forms.ChoiceField(choices=[("a", "Apples"), ("EUR", "EUR")])

    catalogue = {"Description"}
    fields = Untranslated.base_fields
    assert i18n_check._untranslated(fields["plain"].label, catalogue)
    assert i18n_check._untranslated(fields["lazy_missing"].label, catalogue)
    assert not i18n_check._untranslated(fields["fine"].label, catalogue)
    assert not i18n_check._untranslated(fields["same_word"].label, catalogue)
    labels = [label for value, label in i18n_check._choice_labels(fields["choice"])]
    assert labels == ["Apples", "EUR"]
    assert i18n_check._untranslated("Apples", catalogue)


def test_every_form_of_the_project_is_looked_at() -> None:
    modules = i18n_check._form_modules()
    assert "disquaire.backstage.forms" in modules
    assert "disquaire.backstage.forms_selling" in modules
    assert "disquaire.shop.forms" in modules
