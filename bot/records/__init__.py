"""The records: the database models, the conversations kept per farmer (conversations), the export `nongbot
export` prints, and retention/forgetting (privacy)."""
