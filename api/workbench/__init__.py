"""The trainer workbench: the files it edits (``nlu_files`` for nlu_data/ and domain.yml, ``kb_files`` for the
KB sources), the audited edits on top of them (``nlu_edits``, ``kb_edits``), the review of unanswered questions
(``unanswered``, grouped by the pure ``unanswered_groups``), the test console (``console``) and model training
and deployment (``training``)."""
