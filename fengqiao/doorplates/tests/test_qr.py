"""The fast mask selection gives exactly segno's own QR codes."""

from __future__ import annotations

import random
import string

import segno

from fengqiao.doorplates import qr


def _urls() -> list[str]:
    chooser = random.Random(20261128)
    alphabet = string.ascii_letters + string.digits + "-_"
    urls = [
        f"https://fq.example.gov.cn/d/{''.join(chooser.choices(alphabet, k=22))}/"
        for _ in range(120)
    ]
    urls += [f"http://127.0.0.1:{port}/d/{'x' * length}/" for port, length in ((8000, 1), (80, 90))]
    urls += ["A" * n for n in range(1, 400, 23)]  # many versions and sizes
    return urls


def test_fast_masking_chooses_the_same_mask_and_symbol_as_segno() -> None:
    urls = _urls()
    try:
        qr.stock_masking()
        stock = [(code.mask, code.version, code.matrix) for code in map(qr.plate_qr, urls)]
        assert qr.install_fast_masking(), "segno no longer has apply_mask/evaluate_mask"
        fast = [(code.mask, code.version, code.matrix) for code in map(qr.plate_qr, urls)]
    finally:
        qr.install_fast_masking()
    assert fast == stock
    assert len({mask for mask, _version, _matrix in fast}) > 4  # the choice really varies


def test_plate_qr_is_a_full_qr_code_with_error_correction_m_or_better() -> None:
    code = qr.plate_qr("https://fq.example.gov.cn/d/abcdefghijklmnopqrstuv/")
    assert not code.is_micro and code.error in {"M", "Q", "H"}
    assert isinstance(code, segno.QRCode)
