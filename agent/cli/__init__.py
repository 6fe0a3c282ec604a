"""`dengji`: the venue agent's command line, and the composition root that wires the parts together:
the only place that imports the TUI and the uploader together with the agent.

Heavy parts (the store, SQLModel, the TUI, the uploader) are imported inside the commands that use them,
so `dengji --help` answers at once. Exit status: 0 done, 1 some record refused or a check failed,
2 the command could not run (bad input file, no store, wrong usage), 3 `dengji doctor` found warnings only.

Who acts: once the store has operator accounts (`agent.duties.operators`), every command that reads or changes
the register needs `--operator NAME` (or `DENGJI_OPERATOR`) and that operator's PIN, from `DENGJI_PIN` or
a prompt; the login and everything done after it are entered in the audit trail under that name.
Commands that act for the system (`status`, `send`, `agent run`) or reveal nothing personal (`audit`,
`purge --dry-run`, `doctor`) need none.

Holds: `root` (the group and its shared options), `context` (what every command gets), one module per
group of commands (`setup`, `registering`, `spreadsheets`, `delivery`, `duties`, `ops`, `card_reader`,
`terminal_ui`, `demo`).
May import: everything (the top layer).
"""

from agent.cli.root import main

__all__ = ["main"]
