"""The agent's API: the one way in for the TUI and the command line's register commands.

Holds: the register (`registry`: arrivals, departures, corrections, the lists and search), and the
delivery view the uploader implements and the TUI shows (`delivery`).
May import: every layer below it (`agent.duties`, `agent.store`, `agent.forms`, `agent.validation`,
`agent.domain`); never the spreadsheets, the operations or the command line above it.
"""
