"""The reference platform: the receiving side of wire protocol v1, as an aiohttp server."""
