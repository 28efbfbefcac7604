"""The review pages (server-rendered HTML) for tracing officers."""
