"""The bundled demo news sites (outlets), the loopback server that serves them, and
``python -m newscrawl.demo``."""
