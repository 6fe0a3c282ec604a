"""The agent's API: the one way in for the TUI and the command line's register commands.

Holds: the register (`registry`: arrivals, departures, corrections, the lists), the one search rule
(`search`), opening a venue (`opening.open_register`), operator accounts and the home's settings as the
desk meets them (`accounts`, `settings`), the delivery view the uploader implements and the TUI shows
(`delivery`), and the duties the uploader's daemon runs on a schedule (`scheduled_duties`).
May import: every layer below it (`agent.duties`, `agent.store`, `agent.secrets`, `agent.home`,
`agent.forms`, `agent.validation`, `agent.domain`); never the spreadsheets, the operations or the command
line above it.
"""
