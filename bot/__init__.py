"""Front ends: the command line, the local console and Discord. The only package that imports discord."""
