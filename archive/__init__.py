"""The searchable SQLite archive (sqlite-utils) and its Datasette site (see issue 4)."""
