"""dengji's venue agent: the domain, validation, the encrypted store with its outbox, config and the CLI.

Nothing in this package imports the terminal UI or the uploader; `agent.cli`, the composition root, wires
them in lazily so that `dengji --help` stays fast.
"""

__version__ = "0.1.0"
