"""One module per ``lww`` command, each with ``register(subparsers)``; handlers import their part lazily."""
