"""The bundled demo news sites and the loopback server that serves them."""
