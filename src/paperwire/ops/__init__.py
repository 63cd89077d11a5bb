"""Operations: Prometheus metrics, structured logs, backups and restores."""
