"""The local store: SQLModel tables, the database engine, encryption at rest, migrations, and the
hash-chained audit trail every write appends to in its own transaction.

Holds: `models` (the tables), `database` (the engine, transactions, locks), `vault` (field encryption and
blind indexes), `opening` (opening or creating a home's store), `migrate` and `migrations/`, `audit`.
May import: `agent.secrets`, `agent.home`, `agent.validation` (problems), `agent.domain`.
"""
