"""Pictures → text boxes (RapidOCR, its default models from the wheel) → table rows.

Rows are rebuilt from where the boxes sit. Numbers are one short line each, so they anchor the rows;
a label box joins the row whose numbers lie to its right at its height, which also takes care of
labels wrapped over two lines and of vertical labels written one character per line. Text above the
numbers (column headers) forms rows of its own. Each cell keeps its pixel position, so a row where OCR
missed a small "0" is still placed column by column.
"""
from __future__ import annotations

import base64
import io
import os
import re
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from statistics import median

from extract.model import Cell, Table
from extract.numbers import classify, NUMBER, EMPTY

MAX_PICTURE_BYTES = 30 * 1024 * 1024
MAX_PIXELS = 40_000_000
_engine = None


@dataclass
class Box:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class OcrResult:
    tables: list[Table] = field(default_factory=list)
    text: str = ""
    unread: list[str] = field(default_factory=list)


def engine():
    """One RapidOCR engine per process, one onnxruntime thread (the build runs a process per core)."""
    global _engine
    if _engine is None:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from rapidocr import RapidOCR

        _engine = RapidOCR(params={
            "Global.log_level": "error",
            "Global.max_side_len": 4000,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
    return _engine


def load_image(data: bytes):
    """A PIL image in RGB, or ValueError with a short reason."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.seek(0)
        image = image.convert("RGB")
    except Image.DecompressionBombError:
        raise ValueError("picture too large") from None
    except Exception as e:  # noqa: BLE001 - PIL raises many types for damaged files
        raise ValueError(f"unreadable picture ({type(e).__name__})") from None
    image = denoise(image)
    if image.width < 1200:
        factor = min(3.0, 1500 / max(image.width, 1))
        if factor > 1.2:
            noisy = image.info.get("noisy")
            image = image.resize((int(image.width * factor), int(image.height * factor)), Image.LANCZOS)
            image.info["noisy"] = noisy
    return image


def recognise(image) -> list[Box]:
    import numpy as np

    result = engine()(np.asarray(image))
    if result is None or result.boxes is None:
        return []
    boxes = []
    for points, text in zip(result.boxes, result.txts):
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        boxes.extend(_split_numbers(Box(text.strip(), min(xs), min(ys), max(xs), max(ys))))
    return [b for b in boxes if b.text]


def _split_numbers(box: Box) -> list[Box]:
    """OCR sometimes reads two adjacent number cells as one box ("0 0"): split it by character offset."""
    if not re.fullmatch(r"\d+(\s+\d+)+", box.text):
        return [box]
    out, width = [], (box.x1 - box.x0) / max(len(box.text), 1)
    for m in re.finditer(r"\d+", box.text):
        out.append(Box(m.group(), box.x0 + m.start() * width, box.y0, box.x0 + m.end() * width, box.y1))
    return out


def boxes_to_rows(boxes: list[Box]) -> list[list[Cell]]:
    return [cells for _, cells in boxes_to_bands(boxes)]


def boxes_to_bands(boxes: list[Box]) -> list[tuple[float, list[Cell]]]:
    """Rows of cells, each with the top of its highest box, in reading order."""
    if not boxes:
        return []
    line = median(b.height for b in boxes)
    numbers = sorted((b for b in boxes if classify(b.text) in (NUMBER, EMPTY)), key=lambda b: b.cy)
    bands: list[list[Box]] = []
    for b in numbers:
        if bands and abs(b.cy - median(x.cy for x in bands[-1])) < 0.6 * line:
            bands[-1].append(b)
        else:
            bands.append([b])
    bands = _merge_split_rows(bands, line)
    # Where each band's numbers sit, fixed before labels join (a label must not move them). A label
    # joins the band it overlaps vertically, left of the numbers; the other lines of a wrapped label,
    # and headers, stay rows of their own.
    anchors = [(min(x.x0 for x in band), min(x.y0 for x in band), max(x.y1 for x in band)) for band in bands]
    others: list[Box] = []
    for b in boxes:
        if classify(b.text) in (NUMBER, EMPTY):
            continue
        best = None
        for band, (left_edge, top, bottom) in zip(bands, anchors):
            overlap = min(b.y1, bottom) - max(b.y0, top)
            if b.x1 <= left_edge + 0.5 * line and overlap >= 0.3 * b.height and (best is None or overlap > best[0]):
                best = (overlap, band)
        if best:
            best[1].append(b)
        else:
            others.append(b)
    for b in sorted(others, key=lambda b: b.cy):
        if bands and all(abs(b.cy - x.cy) < 0.6 * line for x in bands[-1]) and not any(
                classify(x.text) == NUMBER for x in bands[-1]):
            bands[-1].append(b)
        else:
            bands.append([b])
    bands.sort(key=lambda band: min(x.y0 for x in band))
    return [(min(x.y0 for x in band), _cells(band)) for band in bands]


def _merge_split_rows(bands: list[list[Box]], line: float) -> list[list[Box]]:
    """One tall row whose cells are aligned differently (top vs middle) reads as two bands of numbers in
    disjoint columns; together they are no wider than a full row. Join them."""
    if not bands:
        return bands
    widest = max(len(b) for b in bands)
    merged = [bands[0]]
    for band in bands[1:]:
        last = merged[-1]
        disjoint = all(min(a.x1, b.x1) <= max(a.x0, b.x0) for a in last for b in band)
        close = abs(median(b.cy for b in band) - median(b.cy for b in last)) < 2 * line
        if disjoint and close and len(last) + len(band) <= widest:
            last.extend(band)
        else:
            merged.append(band)
    return merged


def _cells(band: list[Box]) -> list[Cell]:
    """Boxes of one row → cells: boxes stacked in one column (a wrapped label) are one cell."""
    cells: list[list[Box]] = []
    for b in sorted(band, key=lambda b: b.x0):
        last = cells[-1] if cells else None
        if last and min(b.x1, max(x.x1 for x in last)) - max(b.x0, min(x.x0 for x in last)) > 0.3 * (b.x1 - b.x0):
            last.append(b)
        else:
            cells.append([b])
    return [Cell("".join(x.text for x in sorted(group, key=lambda x: x.y0)),
                 min(x.x0 for x in group), max(x.x1 for x in group)) for group in cells]


def read_picture(data: bytes) -> tuple[Table, str]:
    """A picture's rows: a ruled table from its own ruling lines (each cell recognised alone), the text around
    it by full OCR; a picture without ruling lines by full OCR, rows rebuilt from the boxes' positions."""
    image = load_image(data)
    rows = ruled_rows(image)
    if rows is None:
        rows = prose_rows(image)
    if rows is None:
        rows = boxes_to_rows(recognise(image))
    text = "\n".join("\t".join(c.text for c in row) for row in rows)
    return Table(rows, from_image=True), text


def ruled_rows(image) -> list[list[Cell]] | None:
    """Rows of a picture holding a ruled table, or None when it holds none. Cells carry their grid columns as
    positions, as an HTML table's do; text above and below the table is read by full OCR."""
    import numpy as np

    from extract.ruling import _ink, ruled_grid, skew, text_lines

    angle = skew(np.asarray(image.convert("L")))
    if abs(angle) >= 0.1:  # a scan put on the glass askew: straighten it, or its rules are not lines
        noisy = image.info.get("noisy")
        image = image.rotate(angle, resample=3, fillcolor="white")
        image.info["noisy"] = noisy
    rgb = np.asarray(image)
    gray = np.asarray(image.convert("L"))
    grid = ruled_grid(gray, bool(image.info.get("noisy")))
    if grid is None:
        return None
    ink = _ink(gray)
    if image.info.get("noisy"):
        # the cells' text (not the rules, which a median thins away at 150 dpi) read through a 3×3 median
        import cv2

        rgb = cv2.medianBlur(rgb, 3)
        ink = _ink(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    ink = _despeckle(ink)
    crops, owners, squeezes = [], [], []
    for index, region in enumerate(grid.regions):
        lines = text_lines(ink, region)
        for x0, y0, x1, y1 in lines:
            crops.append(rgb[max(y0 - 3, 0):y1 + 3, max(x0 - 3, 0):x1 + 3])
            owners.append(index)
            # a short one-line cell is most often a number: read less narrowed
            short = len(lines) == 1 and (x1 - x0) <= 4 * (y1 - y0)
            squeezes.append(NUMBER_SQUEEZE if short else TEXT_SQUEEZE)
    for index, text in zip(owners, recognise_lines(crops, squeezes)):
        grid.regions[index].text += text.strip()
    for region in grid.regions:
        region.text = _numeric(region.text)
    by_row: dict[int, list[Cell]] = {}
    for region in grid.regions:
        by_row.setdefault(region.r0, []).append(Cell(region.text, region.c0, region.c1))
    table_rows = [by_row[r] for r in sorted(by_row)]
    _, top, _, bottom = grid.box
    return _band_rows(rgb, ink, 0, top - 4) + table_rows + _band_rows(rgb, ink, bottom + 4, ink.shape[0])


SPECK = 3  # pixels: ink blobs this small are noise (a scanner's dust, salt-and-pepper), not strokes
NOISY = 2e-4  # specks per pixel above which a picture is noisy


def _specks(ink, largest: int = SPECK):
    """The mask of the specks (blobs of at most `largest` pixels) in an ink mask, and the count of blobs of
    each area 0..8."""
    import cv2
    import numpy as np

    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA].copy()
    areas[0] = 1 << 30
    small = areas <= largest
    return small[labels], np.bincount(np.minimum(areas[1:], 9), minlength=10)[:9]


def _despeckle(ink):
    """The ink without specks, so that a cell's text lines are its text's."""
    mask, counts = _specks(ink)
    if counts[1:SPECK + 1].sum():
        ink = ink.copy()
        ink[mask] = 0
    return ink


def denoise(image):
    """A noisy picture (salt-and-pepper: many specks of a pixel or two) cleaned at its own resolution, before
    any scaling spreads the specks: its dark specks painted white with the pixel around them (a JPEG's halo).
    The largest speck is where the count of blobs by area falls off (JPEG makes some specks 3–4 pixels; a
    printed stroke, even a decimal point, is larger). A clean picture is returned as it is."""
    import cv2
    import numpy as np
    from PIL import Image

    from extract.ruling import _ink

    rgb = np.asarray(image)
    ink = _ink(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    _, counts = _specks(ink, 0)
    if counts[1:3].sum() <= NOISY * ink.size:
        return image
    largest = next((a for a in range(2, 5) if counts[a + 1] < 0.05 * counts[1]), 5)
    mask, _ = _specks(ink, largest)
    mask = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    rgb = rgb.copy()
    rgb[mask] = 255
    image = Image.fromarray(rgb)
    image.info["noisy"] = True
    return image


_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1"})


def _numeric(text: str) -> str:
    """A cell the recogniser read as digit look-alikes (「O」 for 0, 「l」 for 1) when all it holds is digits and
    look-alikes; anything with a letter of a word or a CJK character stays as read."""
    if text and re.fullmatch(r"[0-9OoDQIl|,.]+", text) and not re.fullmatch(r"[.,]+", text):
        return text.translate(_DIGIT_LOOKALIKES)
    return text


def prose_rows(image) -> list[list[Cell]] | None:
    """A page of plain running text (lines of even height, no wide gaps inside a line): one row per line,
    found from the rows of ink and recognised without a detection pass. None for anything else (an unruled
    table, a seal over the text, a picture), which needs detection."""
    import numpy as np

    from extract.ruling import Region, _ink, text_lines

    gray = np.asarray(image.convert("L"))
    ink = _ink(gray)
    lines = text_lines(ink, Region(0, 0, ink.shape[1], ink.shape[0], 0, 0, 0, 0), pad=0)
    if not lines:
        return None
    heights = sorted(y1 - y0 for _, y0, _, y1 in lines)
    usual = heights[len(heights) // 2]
    if heights[-1] > 2.5 * usual or usual < 8:
        return None
    for x0, y0, x1, y1 in lines:
        inked = np.where(ink[y0:y1, x0:x1].max(axis=0) > 0)[0]
        if inked.size and np.diff(inked).max(initial=0) > 1.5 * usual:
            return None  # cells set apart on one line: a table without rules
    return _band_rows(np.asarray(image), ink, 0, ink.shape[0])


def _band_rows(rgb, ink, top: int, bottom: int) -> list[list[Cell]]:
    """The text lines of a horizontal band of the picture (prose around a table), one row each: found from
    the rows of ink, recognised without a detection pass."""
    from extract.ruling import Region, text_lines

    if bottom - top < 10:
        return []
    lines = text_lines(ink, Region(0, top, ink.shape[1], bottom, 0, 0, 0, 0), pad=0)
    crops = [rgb[max(y0 - 3, 0):y1 + 3, max(x0 - 3, 0):x1 + 3] for x0, y0, x1, y1 in lines]
    return [[Cell(text.strip(), x0, x1)] for (x0, _, x1, _), text in zip(lines, recognise_lines(crops)) if text.strip()]


# The recogniser reads a line 48 pixels high and gives one output step per 8 pixels of width; its cost grows with
# the width it is given, whatever is in it. Crops are therefore set side by side in lines of about _LINE pixels
# (no padding of short crops to the recogniser's 320-pixel minimum, no batch padded to its widest crop), and
# each character read is given back to the crop under its output steps (so no separator is needed between
# cells). Words are read narrowed to TEXT_SQUEEZE of their width: a label only has to be recognisable to the
# aligner's fuzzy match, and narrowed to 0.4 about 2 characters in 100 differ from a full-width reading, mostly
# punctuation. Short one-line cells — the numbers — are narrowed less (NUMBER_SQUEEZE) and decoded with only
# digits allowed; a number whose digits are not clear-cut, a number read narrowed as a word, and a crop read as
# nothing are read again alone at full width.
_HEIGHT, _STEP, _LINE, _GAP = 48, 8, 960, 8
TEXT_SQUEEZE, NUMBER_SQUEEZE = 0.4, 0.6
_NUMERIC = re.compile(r"[0-9０-９OoDQIl|,.，．]*[0-9０-９][0-9０-９OoDQIl|,.，．]*|[OoDQ]")
_DOUBT = 0.2
_FAINT = 0.5


def recognise_lines(crops: list, squeeze: float | list[float] = TEXT_SQUEEZE) -> list[str]:
    """Text of single-line crops (RGB arrays) through RapidOCR's recogniser alone (no detection pass).
    `squeeze`, one for all or one per crop, narrows each crop before recognition (1: as it is)."""
    if not crops:
        return []
    squeezes = squeeze if isinstance(squeeze, list) else [squeeze] * len(crops)
    reads = _recognise_packed(crops, squeezes)
    again = [i for i, (text, sure) in enumerate(reads)
             if crops[i].size and (not text or (_NUMERIC.fullmatch(text) and (
                 not sure or squeezes[i] < NUMBER_SQUEEZE or _too_few_digits(crops[i], text))))]
    if again:
        for i, read in zip(again, _recognise_packed([crops[i] for i in again], [1.0] * len(again), line=0)):
            if read[0] or not reads[i][0]:
                reads[i] = read
    return [text for text, _ in reads]


def _too_few_digits(crop, text: str) -> bool:
    """A number read with far fewer characters than its crop is wide: a digit is about 0.6 of the line's
    height wide (the crop has 3 pixels of margin on each side), so 「623」 read as 「3」 is caught."""
    height, width = crop.shape[:2]
    return len(text) < 0.5 * (width - 6) / (0.6 * max(height - 6, 1))


def _recognise_packed(crops: list, squeezes: list[float], line: int = _LINE) -> list[tuple[str, bool]]:
    """(text, sure) for each crop, the crops packed into lines of `line` pixels (0: one crop a line)."""
    import math

    import cv2
    import numpy as np

    images = []
    for crop, squeeze in zip(crops, squeezes):
        h, w = crop.shape[:2]
        if h < 2 or w < 2:
            images.append(None)
            continue
        width = max(1, math.ceil(_HEIGHT * w / h * squeeze))
        images.append(cv2.resize(np.ascontiguousarray(crop), (width, _HEIGHT),
                                 interpolation=cv2.INTER_AREA if h > _HEIGHT else cv2.INTER_LINEAR))
    lines: list[tuple[int, list[tuple[int, int]]]] = []  # (width, [(crop, x)])
    members: list[tuple[int, int]] = []
    x = _GAP
    for i in sorted((i for i in range(len(images)) if images[i] is not None), key=lambda i: squeezes[i]):
        w = images[i].shape[1]
        # a line holds crops of one squeeze: numbers are not read beside narrowed words
        if members and (x + w + _GAP > line or squeezes[members[-1][0]] != squeezes[i]):
            lines.append((x, members))
            members, x = [], _GAP
        members.append((i, x))
        x += w + _GAP
    if members:
        lines.append((x, members))
    recogniser = engine()._load_rec_model()
    reads = [("", False)] * len(crops)
    lines.sort(key=lambda item: item[0])
    for start in range(0, len(lines), 4):
        batch = lines[start:start + 4]
        width = max(320, _STEP * math.ceil(max(w for w, _ in batch) / _STEP))
        x_batch = np.ones((len(batch), 3, _HEIGHT, width), dtype=np.float32)
        for k, (_, placed) in enumerate(batch):
            for i, x in placed:
                image = images[i]
                x_batch[k, :, :, x:x + image.shape[1]] = image.transpose(2, 0, 1) / 127.5 - 1
        predictions = recogniser.session(x_batch)
        for k, (_, placed) in enumerate(batch):
            for i, text, sure in _decode(predictions[k], [(i, x, x + images[i].shape[1]) for i, x in placed]):
                reads[i] = (text, sure)
    return reads


@lru_cache(maxsize=1)
def _classes():
    """The recogniser's characters (index 0: the CTC blank) and the indexes a number may use."""
    import numpy as np

    characters = engine()._load_rec_model().postprocess_op.character
    digits = [0] + [i for i, c in enumerate(characters) if c in "0123456789.,"]
    return characters, np.array(digits)


def _decode(prediction, spans: list[tuple[int, int, int]]):
    """Each crop's characters: the runs of one class under its output steps (CTC). A crop read as
    a number is read again over its steps with only digits allowed, so 「O」 or 「０」 are not taken for words."""
    import numpy as np

    characters, digits = _classes()
    ids = prediction.argmax(axis=1)
    runs: list[list[int]] = []  # class, first step, last step + 1
    last = 0
    for t, k in enumerate(ids.tolist()):
        if k and k == last:
            runs[-1][2] = t + 1
        elif k:
            runs.append([k, t, t + 1])
        last = k
    owned: dict[int, list[list[int]]] = {i: [] for i, _, _ in spans}
    bounds = [(i, x0 / _STEP, x1 / _STEP) for i, x0, x1 in spans]
    for run in runs:
        # the crop under the run's middle (or the nearest, for a run in a gap); a digit also well under the
        # next crop is that crop's too (the same digit ending one crop and starting the next, read as one run)
        middle = (run[1] + run[2]) / 2
        owner = min(bounds, key=lambda span: max(span[1] - middle, middle - span[2], 0))[0]
        owned[owner].append(run)
        if characters[run[0]] in "0123456789":
            for i, a, b in bounds:
                if i != owner and min(run[2], b) - max(run[1], a) >= 1:
                    owned[i].append(run)
    for i, x0, x1 in spans:
        text = "".join(characters[k] for k, _, _ in owned[i]).replace(" ", "")
        if text and not _NUMERIC.fullmatch(text) and all(prediction[a:b, k].max() < _FAINT for k, a, b in owned[i]):
            text = ""  # no character read with any confidence: a blot (noise, a stamp's edge), not text
        sure = True
        if text and _NUMERIC.fullmatch(text):
            a, b = x0 // _STEP, -(-x1 // _STEP)
            window = prediction[a:b, digits]
            best = window.argmax(axis=1)
            chars, last = [], 0
            for t, k in enumerate(best.tolist()):
                if k and k != last:
                    chars.append(characters[digits[k]])
                    # sure when the digit read stands well above the next likeliest digit at its step
                    ranked = np.sort(window[t, 1:])
                    sure = sure and ranked[-2] < _DOUBT * ranked[-1]
                last = k
            text = "".join(chars) or text
        yield i, text, sure


def fetch_picture(address: str, timeout: float = 30) -> bytes | None:
    """A picture's bytes from a data: URI, an http(s) URL or a local path; None when it cannot be had."""
    try:
        if address.startswith("data:"):
            header, _, payload = address.partition(",")
            return base64.b64decode(payload) if ";base64" in header else payload.encode()
        if re.match(r"^https?://", address):
            request = urllib.request.Request(address, headers={"User-Agent": "nianbao/0.1"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.read(MAX_PICTURE_BYTES)
        if os.path.isfile(address) and os.path.getsize(address) <= MAX_PICTURE_BYTES:
            with open(address, "rb") as f:
                return f.read()
    except Exception:  # noqa: BLE001 - a missing picture is a warning, not a failure
        return None
    return None


def read_pictures(datas: list[bytes | None], names: list[str], warnings: list[str]) -> OcrResult:
    """OCR every picture that could be had; the ones that could not are listed as unread."""
    out = OcrResult()
    texts = []
    for data, name in zip(datas, names):
        short = name if len(name) < 80 else name[:77] + "…"
        if data is None:
            warnings.append(f"picture {short}: could not be fetched")
            out.unread.append(name)
            continue
        try:
            table, text = read_picture(data)
        except ValueError as e:
            warnings.append(f"picture {short}: {e}")
            out.unread.append(name)
            continue
        out.tables.append(table)
        texts.append(text)
    out.text = "\n\n".join(t for t in texts if t)
    return out
