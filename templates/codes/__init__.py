"""Code tables the registration forms draw their choices from (data only; `agent.domain.codes` loads them)."""
