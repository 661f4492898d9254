"""The append-only, hash-chained audit log every change writes to."""
