"""The records kernel: what every side shares (device app, store, sync, server).

Pure Python: imports no flet, tinydb, requests or sqlalchemy (tests/test_architecture.py).
"""
