"""Tools for developers (the local launcher); never packaged for phones ([tool.flet.app] exclude)."""
