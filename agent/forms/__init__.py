"""The registration forms: each venue kind's declarative form (`templates/*.toml`), loaded and checked.

Holds: the template loader (`templates`): which fields a venue asks, in which order, with which choices.
May import: `agent.domain` and `agent.validation`.
"""
