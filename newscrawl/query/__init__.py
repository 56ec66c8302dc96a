"""The read side of the store: what the query commands and Datasette show."""
