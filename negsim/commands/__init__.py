"""One module per ``negsim`` command. Each module imports only the standard library at top level
and exposes ``register(subparsers)``; the handler it registers imports what it needs."""
