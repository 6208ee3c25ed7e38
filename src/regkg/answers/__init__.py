"""The query layer that answers questions: saved queries, applicability, facts, search."""
