"""The screens: one file per screen (`*_screen.py`) or modal (`*_modal.py`)."""
