"""Server logic without I/O: state, sessions, command handling, the bus seam."""
