"""The SQLite catalogue: tables, connection discipline, and operations as units of work."""
