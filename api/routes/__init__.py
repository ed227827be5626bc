"""The HTTP and WebSocket routes, one module per audience; ``api.app`` includes them all. Routes stay thin:
they declare their dependencies (``api.deps``) and bodies (``api.schemas``) and call the engine or the
workbench; errors those raise become HTTP answers in one handler."""
