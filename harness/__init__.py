"""pytest plugin that proves an SPA's JWT access/refresh flow in real browsers."""
