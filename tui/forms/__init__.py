"""Form state kept outside the widgets: what was typed, what it means, what is wrong with it."""
