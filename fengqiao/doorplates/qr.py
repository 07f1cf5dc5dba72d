"""QR codes for plates: segno, with its data-mask selection made fast.

The QR standard asks the encoder to try all eight data masks and keep the one whose symbol
scores the lowest penalty (no long runs, no 2×2 blocks, no finder-like patterns, balanced
dark/light): the codes that are easiest to scan, which matters on a plate that hangs outdoors
for years. segno does exactly that, in pure Python, module by module: about 6 of its 7.5 ms
per code, so 38 of the seconds a 5,096-plate township sheet took.

``install_fast_masking`` replaces the two functions segno's ``find_and_apply_best_mask``
calls, ``apply_mask`` and ``evaluate_mask``, with equivalents that work a row at a time
(integer XOR, ``bytes.count``, a regular expression) and give the same results, so segno
chooses the same mask and produces the same symbol, about five times faster.
``test_qr.py`` checks the sameness against segno's own functions on many random codes, so an
upgrade of segno that changed its internals fails the tests instead of changing the plates.
If segno no longer has these functions the replacement is skipped and the stock path is used.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

import segno
from segno import encoder as _encoder

_STOCK_APPLY_MASK = getattr(_encoder, "apply_mask", None)
_STOCK_EVALUATE_MASK = getattr(_encoder, "evaluate_mask", None)

# (width, height, mask function's code) → one XOR integer per row (1 where the mask flips a
# module of the encoding region). segno makes new closures of its eight mask functions on
# every call, but their code objects are the same, and the encoding region depends only on
# the size, so the table stays small (at most 40 versions × 8 masks, plus Micro QR's).
_ROW_MASKS: dict[tuple[int, int, Any], list[int]] = {}
# Runs of five or more modules of one colour (segno uses 0 and 1; 2 marks an unset module).
_RUN = re.compile(rb"\x00{5,}|\x01{5,}|\x02{5,}")
_N3 = bytes((1, 0, 1, 1, 1, 0, 1))


def _fast_apply_mask(
    matrix: Sequence[bytearray],
    mask_pattern: Callable[[int, int], Any],
    width: int,
    height: int,
    is_encoding_region: Callable[[int, int], bool],
) -> None:
    key = (width, height, mask_pattern.__code__)
    rows = _ROW_MASKS.get(key)
    if rows is None:
        rows = [
            int.from_bytes(
                bytes(
                    1 if is_encoding_region(i, j) and mask_pattern(i, j) else 0
                    for j in range(width)
                ),
                "big",
            )
            for i in range(height)
        ]
        _ROW_MASKS[key] = rows
    for row, flip in zip(matrix, rows, strict=False):
        if flip:
            row[:] = (int.from_bytes(row, "big") ^ flip).to_bytes(width, "big")


def _n3(line: bytes, size: int) -> int:
    """segno's N3 count for one row or column, the same algorithm on bytes."""
    count = 0
    index = line.find(_N3)
    while index != -1:
        offset = index + 7
        if (
            index in (0, size - 7)
            or not any(line[max(index - 4, 0) : min(index, size)])
            or not any(line[max(offset, 0) : min(offset + 4, size)])
        ):
            count += 40
        else:
            offset = index + 4
        index = line.find(_N3, offset)
    return count


def _fast_evaluate_mask(matrix: Sequence[bytearray], width: int, height: int) -> int:
    """The penalty of a QR symbol (N1 + N2 + N3 + N4), as segno's ``mask_scores``."""
    size = width
    rows = [bytes(row) for row in matrix]
    lines = [*rows, *(bytes(column) for column in zip(*rows, strict=True))]
    # One pass over all rows and columns: a separator byte ends every run.
    joined = b"\xff".join(lines)
    runs = _RUN.findall(joined)
    n1 = sum(map(len, runs)) - 2 * len(runs)
    n3 = sum(_n3(line, size) for line in lines if _N3 in line) if _N3 in joined else 0
    n2 = 0
    for upper, lower in itertools.pairwise(rows):
        a = int.from_bytes(upper[:-1], "big")
        differs = (
            (a ^ int.from_bytes(upper[1:], "big"))
            | (a ^ int.from_bytes(lower[:-1], "big"))
            | (a ^ int.from_bytes(lower[1:], "big"))
        )
        n2 += 3 * differs.to_bytes(size - 1, "big").count(0)
    dark = sum(b"".join(rows))
    percent = float(dark) / (size**2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def install_fast_masking() -> bool:
    """Make segno's mask selection fast (same results); False when segno changed shape."""
    if _STOCK_APPLY_MASK is None or _STOCK_EVALUATE_MASK is None:
        return False
    _encoder.apply_mask = _fast_apply_mask
    _encoder.evaluate_mask = _fast_evaluate_mask
    return True


def stock_masking() -> None:
    """Put segno's own functions back (the tests compare the two)."""
    if _STOCK_APPLY_MASK is not None and _STOCK_EVALUATE_MASK is not None:
        _encoder.apply_mask = _STOCK_APPLY_MASK
        _encoder.evaluate_mask = _STOCK_EVALUATE_MASK


def plate_qr(url: str) -> segno.QRCode:
    """The QR code printed on a plate: error correction M, raised to Q or H when that fits in
    the same size (a plate outdoors gets dirty); never a Micro QR (phones read those badly)."""
    return segno.make(url, error="m", micro=False, boost_error=True)


install_fast_masking()
