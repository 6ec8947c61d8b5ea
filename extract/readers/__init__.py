"""One reader per format: bytes in, `extract.model.Parsed` out. None of them interprets the tables."""
