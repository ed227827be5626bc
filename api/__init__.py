"""The FastAPI bridge: customer API and WebSocket, chat widget, handoff queue, agent console, metrics.

It talks to the Rasa server over HTTP (the REST channel) and never imports Rasa.
"""
