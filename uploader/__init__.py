"""The uploader: reads the outbox, seals, signs and delivers events to the platform."""
