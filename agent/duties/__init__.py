"""What the law and good practice ask of a venue besides registering: who acts (operator accounts and
their PINs), reminders of what is due, residence-permit checks, and the retention purge.

Holds: `operators`, `pin`, `reminders`, `permit_checks`, `retention`.
May import: the layers below (`agent.store` and down); never the register API above it, the
spreadsheets, the operations or the command line.
"""
