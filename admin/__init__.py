"""The staff console: FastAPI routes, Jinja2 pages and the admin JSON API over the records."""
