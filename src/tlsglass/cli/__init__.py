"""The `tlsglass` command line; nothing imports it."""
