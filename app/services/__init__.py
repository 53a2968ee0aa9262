"""Use cases over the store: what the screens do, with no Flet and no network."""
