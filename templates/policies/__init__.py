"""The local rules, one TOML file per jurisdiction: deadlines and thresholds with the date each took effect.

Data only; `agent.domain.policies` loads them.
"""
