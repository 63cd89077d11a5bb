"""Test support: real servers (PostgreSQL, SMTP, HTTP replay, a reverse proxy, chromium), the
paper-record factory and the shared test data sets. Import as `from tests.support.pg import ...`
(pytest puts the repository root on sys.path: `pythonpath` in pyproject.toml)."""
