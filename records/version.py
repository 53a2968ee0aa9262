"""The version of Phum: the app's About line, the server's /health and the sync User-Agent."""

APP_VERSION = "0.1.0"
