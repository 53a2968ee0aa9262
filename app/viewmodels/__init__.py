"""Screen state and the events a screen can emit: plain Python, tested without Flet."""
