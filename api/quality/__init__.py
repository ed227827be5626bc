"""Quality review (质检): sampling conversations into a review queue, a versioned checklist whose automatic items
the engine checks (pure functions), reviewers' scores and comments, agents' appeals decided by a supervisor."""
