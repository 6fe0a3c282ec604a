"""Declarative registration forms, one TOML file per venue kind, and the code tables they draw on.

Data only; `agent.forms.templates` loads and checks them.
"""
