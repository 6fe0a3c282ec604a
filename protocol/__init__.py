"""Wire protocol v1, shared by the uploader (sending side) and the receiver (platform side).

Sealing (HPKE), request signatures and message shapes live here so that neither side imports the other.
"""
