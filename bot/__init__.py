"""The Rasa side of the service: custom NLU components and their pure helpers.

Modules without a Rasa import (``pii``, ``zh_numbers``, ``zh_dates``) are safe to import from any process.
"""
