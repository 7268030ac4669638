"""The shared kernel: errors, the network-log ``record()`` primitive, ``broadcast_on_commit()`` and start-up hooks.

Everything above (accounts ... compliance) may import from here; nothing here imports from them.
"""
