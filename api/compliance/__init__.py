"""Compliance: the sensitive-word filter (``sensitive_words``) and its flags (``flags``), the audit trail
(``audit``), retention and deletion requests (``retention``), and the edge guards (``guards``: security
headers, body size, rate limits)."""
