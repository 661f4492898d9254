"""The console's one form-field reader and country-list parser."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData, UploadFile

from ronda.errors import BadInput
from ronda.web.forms import form_str, territorial_scope


def test_form_str_limits_and_ignores_files():
    import io

    form = FormData([("a", "halo"), ("f", UploadFile(io.BytesIO(b"x"), filename="x.txt"))])
    assert form_str(form, "a", 4) == "halo"
    assert form_str(form, "missing") == ""
    assert form_str(form, "f") == ""
    with pytest.raises(BadInput, match="'a' is longer than 3 characters"):
        form_str(form, "a", 3)


def test_territorial_scope():
    assert territorial_scope("") == ["ID"]
    assert territorial_scope(" id, my ,ID,") == ["ID", "MY"]
    with pytest.raises(BadInput, match="'Indonesia' is not a two-letter country code"):
        territorial_scope("Indonesia")
    with pytest.raises(BadInput, match="at most 60"):
        territorial_scope(",".join(f"{a}{b}" for a in "ABCDEFGH" for b in "ABCDEFGH"))
