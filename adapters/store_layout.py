"""A store whose data this version of Techbank cannot use as it is."""


class EarlierStoreLayout(RuntimeError):
    """The store holds data in a layout an earlier version wrote; nothing was changed."""
