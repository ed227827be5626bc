"""The knowledge base: FAQ source files, import, query normalisation, encoders, FAISS index, answer policy.

Knows nothing of Rasa or FastAPI: the action server and the API call into it.
"""
