"""dengji's venue agent, in layers (docs/architecture.md draws them; import-linter checks them).

From the bottom: `domain` (the words, codes, errors), `validation`, `forms`, `home` (config), `secrets`,
`store`, `duties`, `register` (the agent's API: what the TUI and the command line call), then `sheets`
and `ops`, and `cli` on top, the composition root: the only place that wires the TUI and the uploader in,
lazily, so that `dengji --help` stays fast.
"""

__version__ = "0.1.0"
