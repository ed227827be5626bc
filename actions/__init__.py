"""Rasa SDK action server: form validation, guidance answers and the handoff signal.

Run with ``make actions`` (binds 127.0.0.1:5055). Imports nothing from Rasa itself, only ``rasa_sdk``.
"""
