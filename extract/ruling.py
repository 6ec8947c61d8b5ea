"""A ruled table in a picture → its cell grid, from the ruling lines themselves (OpenCV).

The official tables are ruled. Their lines give the structure exactly: where rows and columns are, which cells
are merged (a missing stretch of line between two cells), and so which row and column every number belongs
to — OCR of the whole page has to guess that from where its text boxes happen to sit, and loses a row or a
column when a box is missed. Here each cell is cut out and only its text is recognised (RapidOCR's
recogniser on each text line of the cell, no detection pass), which is also cheaper than detecting text over
the whole page.

A picture with no ruled table (or prose around one) still needs the full OCR: `ruled_grid` returns None and
`extract.ocr` falls back to it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Region:
    """A cell after merging: pixel box and grid span (rows r0..r1-1, columns c0..c1-1)."""

    x0: int
    y0: int
    x1: int
    y1: int
    r0: int
    c0: int
    r1: int
    c1: int
    text: str = ""


@dataclass
class Grid:
    regions: list[Region]
    box: tuple[int, int, int, int]  # the ruled area: x0, y0, x1, y1


def _ink(gray: np.ndarray) -> np.ndarray:
    """Dark strokes on the page, whatever its lighting (adaptive threshold)."""
    import cv2

    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)


def _line_masks(gray: np.ndarray, noisy: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import cv2

    ink = _ink(gray)
    h, w = ink.shape
    along_h = along_v = ink
    if noisy:
        # A rule broken by noise (white specks, one in a few dozen pixels along a thin line) is closed along its
        # own direction first: the opening keeps only unbroken runs as long as its kernel. Not on a clean
        # picture, where closing would also join text strokes into runs as long as a short table's kernel.
        along_h = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 1)))
        along_v = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3)))
    horizontal = cv2.morphologyEx(along_h, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // 50, 25), 1)))
    vertical = cv2.morphologyEx(along_v, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(h // 60, 20))))
    # Close small gaps (scan noise, JPEG) along each line without thickening across it.
    horizontal = cv2.dilate(horizontal, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3)))
    vertical = cv2.dilate(vertical, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 9)))
    return ink, horizontal, vertical


def _positions(mask: np.ndarray, axis: int, min_length: int) -> list[int]:
    """Centres of the lines in a mask of horizontal (axis=1) or vertical (axis=0) strokes."""
    import cv2

    count, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    length_index = cv2.CC_STAT_WIDTH if axis == 1 else cv2.CC_STAT_HEIGHT
    centres = sorted(float(centroids[i][1 if axis == 1 else 0]) for i in range(1, count)
                     if stats[i][length_index] >= min_length)
    merged: list[list[float]] = []
    for c in centres:
        if merged and c - merged[-1][-1] <= 6:
            merged[-1].append(c)
        else:
            merged.append([c])
    return [int(round(sum(g) / len(g))) for g in merged]


def _covered(mask: np.ndarray, fixed: int, start: int, end: int, horizontal: bool) -> bool:
    """Whether a line runs along `fixed` (a y for horizontal, an x for vertical) over most of start..end."""
    if end - start < 4:
        return True
    band = 4
    if horizontal:
        strip = mask[max(fixed - band, 0):fixed + band + 1, start:end]
        hits = strip.max(axis=0) > 0
    else:
        strip = mask[start:end, max(fixed - band, 0):fixed + band + 1]
        hits = strip.max(axis=1) > 0
    inner = hits[len(hits) // 10: len(hits) - len(hits) // 10] if len(hits) > 10 else hits
    return bool(inner.size) and inner.mean() >= 0.6


def skew(gray: np.ndarray) -> float:
    """The angle (degrees, counter-clockwise positive as PIL rotates) that levels the picture's long horizontal
    strokes (a table's rules), 0 when it has none."""
    import cv2

    small = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    ink = _ink(small)
    h, w = ink.shape
    # Only the strokes that are long and flat (rules, not text) go to the Hough transform: far fewer points; and
    # only angles within 5° of level are voted on (the standard transform takes an angle range, the
    # probabilistic one does not): a twentieth of the work of a transform over every angle.
    strokes = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // 60, 15), 1)))
    lines = cv2.HoughLines(strokes, 1, np.pi / 3600, threshold=max(w // 3, 20),
                           min_theta=np.pi / 2 - np.radians(5), max_theta=np.pi / 2 + np.radians(5))
    if lines is None or not len(lines):
        return 0.0
    # the strongest lines (most votes first): the table's long rules
    return float(np.median(np.degrees(lines[:20, 0, 1]) - 90))


def ruled_grid(gray: np.ndarray, noisy: bool = False) -> Grid | None:
    """The merged cells of the ruled table(s) in a grayscale picture, or None when it has no ruled table."""
    h, w = gray.shape
    ink, horizontal, vertical = _line_masks(gray, noisy)
    ys = _positions(horizontal, 1, w // 8)
    xs = _positions(vertical, 0, h // 40)
    if len(ys) < 3 or len(xs) < 3:
        return None
    rows, cols = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * cols))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a, b):
        parent[find(a)] = find(b)

    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols and not _covered(vertical, xs[c + 1], ys[r], ys[r + 1], horizontal=False):
                union(r * cols + c, r * cols + c + 1)
            if r + 1 < rows and not _covered(horizontal, ys[r + 1], xs[c], xs[c + 1], horizontal=True):
                union(r * cols + c, (r + 1) * cols + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(rows):
        for c in range(cols):
            groups.setdefault(find(r * cols + c), []).append((r, c))
    regions = []
    for members in groups.values():
        r0, r1 = min(r for r, _ in members), max(r for r, _ in members) + 1
        c0, c1 = min(c for _, c in members), max(c for _, c in members) + 1
        if len(members) != (r1 - r0) * (c1 - c0):
            continue  # not a rectangle: space between tables, not a cell
        regions.append(Region(xs[c0], ys[r0], xs[c1], ys[r1], r0, c0, r1, c1))
    if not any(r.r1 - r.r0 == 1 and r.c1 - r.c0 == 1 for r in regions):
        return None
    regions.sort(key=lambda g: (g.r0, g.c0))
    return Grid(regions, (xs[0], ys[0], xs[-1], ys[-1]))


def text_lines(ink: np.ndarray, region: Region, pad: int = 4) -> list[tuple[int, int, int, int]]:
    """The boxes of the text lines inside a cell (ink rows separated by blank rows), rules excluded."""
    y0, y1, x0, x1 = region.y0 + pad, region.y1 - pad, region.x0 + pad, region.x1 - pad
    if y1 - y0 < 4 or x1 - x0 < 4:
        return []
    crop = ink[y0:y1, x0:x1]
    rows_with_ink = crop.sum(axis=1) > 255 * 1
    lines, start = [], None
    for i, has in enumerate(list(rows_with_ink) + [False]):
        if has and start is None:
            start = i
        elif not has and start is not None:
            if i - start >= 3:
                cols = np.where(crop[start:i].sum(axis=0) > 0)[0]
                if cols.size:
                    lines.append((x0 + int(cols[0]), y0 + start, x0 + int(cols[-1]) + 1, y0 + i))
            start = None
    return lines
