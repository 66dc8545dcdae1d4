"""The tracer people read (to come: text, JSON and HTML renderers)."""
