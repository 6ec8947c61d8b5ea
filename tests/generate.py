"""The generated fixtures the tests use live in the package (the demo portal serves them too)."""
from crawler.demo_documents import (AGENCY, PROSE, TITLE, YEAR, convert, fill_template, html_page,  # noqa: F401
                                    html_tables, nested_docx, page_images, picture_docx, review_picture,
                                    sample_report, scanned_pdf, soffice)
