"""The records: the database models, the export `nongbot export` prints, and retention/forgetting (privacy)."""
