"""The local store: SQLModel tables, the database engine, encryption at rest, migrations."""
