"""Staff: accounts and login tokens (``accounts``), password hashing and opaque tokens (``security``), the
agents' canned replies (``canned``) and KB suggestions (``suggestions``)."""
