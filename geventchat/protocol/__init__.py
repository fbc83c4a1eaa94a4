"""The IRC wire format: pure Python, shared by the server and the client."""
