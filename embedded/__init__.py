"""The embedded default's process: the command service with the projection inside it,
on the in-process bus (`python -m embedded`)."""
