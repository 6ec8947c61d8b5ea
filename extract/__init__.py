"""Turn a published annual report (HTML, PDF, DOCX, DOC, picture, text) into text and checked tables.

Data flows one way: a reader in `extract.readers` turns the bytes into a `Parsed` document (plain text
plus tables as rows of cells), `extract.statistics` reads the three statistics tables from those rows
by their labels, `extract.checks` applies the contract's rules, and `extract.report` assembles the
JSON object of `docs/report-json.md`.
"""
from extract.report import ExtractError, extract_report

__all__ = ["extract_report", "ExtractError"]
