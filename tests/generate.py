"""The generated fixtures the tests use live in the package (the demo portal serves them too)."""
from demo.documents import (AGENCY, PROSE, TITLE, YEAR, fill_template, html_page,  # noqa: F401
                            html_tables, nested_docx, page_images, picture_docx, review_picture,
                            sample_report, scanned_pdf)
from extract.soffice import convert, soffice  # noqa: F401
