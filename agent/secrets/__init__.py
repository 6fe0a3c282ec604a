"""The keys that protect a venue's data: the key store (OS keyring or a passphrase-sealed file) and the
transfer of the site key to another desk.

Holds: `keystore`, `keytransfer`.
May import: `agent.domain`, `agent.validation` (problems), `agent.home`.
"""
