"""The terminal UI (textual). Talks only to the agent's API, never to the network."""
