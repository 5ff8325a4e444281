"""E-mail: an outbox table filled in the same transaction as what caused the
message, rendered in the reader's language, and sent by a job."""
