"""Forms of the residents' pages. Labels are short and plain: many residents are elderly
and read on a small screen."""

from __future__ import annotations

import re
import uuid
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.attachments import MAX_PHOTOS_PER_SET, prepare_file
from fengqiao.cases.choices import CaseType, Rating
from fengqiao.cases.forms import CategoryChoiceField, MultipleFileInput
from fengqiao.cases.models import Category
from fengqiao.core.privacy import normalize

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def clean_mobile(value: str) -> str:
    phone = normalize(value or "", "phone")
    if not MOBILE.match(phone):
        raise ValidationError(_("Enter an 11-digit mobile number."), code="phone")
    return phone


class PhoneField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "maxlength": 20}),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        return clean_mobile(super().clean(value))


class CodeField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Code from the text message"))
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("min_length", 6)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "autocomplete": "one-time-code",
                    "maxlength": 6,
                    "pattern": "[0-9]{6}",
                }
            ),
        )
        super().__init__(**kwargs)


def _not_a_photo(name: str) -> ValidationError:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return ValidationError(
        _("“%(name)s” is not a photo. Photos in JPEG, PNG or WebP only.") % {"name": name},
        code="file_type",
    )


class PhotosField(forms.FileField):
    """Up to six photos (JPEG, PNG or WebP); each is checked by its content and size."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        files = [super(PhotosField, self).clean(item, initial) for item in files]
        if len(files) > MAX_PHOTOS_PER_SET:
            raise ValidationError(
                _("At most %(limit)d photos, please (you chose %(count)d).")
                % {"limit": MAX_PHOTOS_PER_SET, "count": len(files)},
                code="too_many_photos",
            )
        errors: list[ValidationError] = []
        for item in files:
            try:
                prepared = prepare_file(item)
            except ValidationError as error:
                # The attachment service also admits documents; residents send photos only.
                wrong_type = getattr(error, "code", None) == "file_type"
                errors.append(_not_a_photo(item.name) if wrong_type else error)
                continue
            if not prepared.is_photo:
                errors.append(_not_a_photo(prepared.original_name))
            item.seek(0)
        if errors:
            raise ValidationError(errors)
        return files


class ReportForm(forms.Form):
    """报事: what happened, the resident's phone (proved by a code) and up to six photos."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    case_type = forms.ChoiceField(label=_("What kind of matter"), choices=CaseType.choices)
    category = CategoryChoiceField(label=_("About what"))
    description = forms.CharField(
        label=_("What happened"),
        min_length=5,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
    )
    photos = PhotosField(label=_("Photos (up to 6, optional)"), required=False)
    phone = PhoneField()
    code = CodeField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = uuid.uuid4()
        cast(CategoryChoiceField, self.fields["category"]).refresh(empty_label=_("Choose"))

    def clean_category(self) -> Category:
        pk = self.cleaned_data["category"]
        category = Category.objects.filter(pk=pk, is_active=True).first() if pk else None
        if category is None:
            raise ValidationError(_("Choose what it is about."))
        return category


class SendCodeForm(forms.Form):
    """Just the phone, when the resident asks for a code."""

    phone = PhoneField()


class LookupForm(forms.Form):
    """查询: a case by its number and the phone it was reported with, proved by a code."""

    number = forms.CharField(
        label=_("Case number"),
        max_length=24,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": "520523-20260608-00012"}
        ),
    )
    phone = PhoneField()
    code = CodeField()

    def clean_number(self) -> str:
        return "".join(self.cleaned_data["number"].split())


class RateForm(forms.Form):
    """评单: how the resident judges the answer."""

    rating = forms.ChoiceField(label=_("Your rating"), choices=Rating.choices)
    comment = forms.CharField(
        label=_("Anything to add (required if not satisfied)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )
