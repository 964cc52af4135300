"""PostgreSQL backend: Django's, with a health check that asks the server only after a pause."""
