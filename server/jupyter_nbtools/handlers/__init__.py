"""REST handlers, one module per resource; all derive from :class:`base.NbtoolsHandler`."""
