"""QA commands of `token-emulator`: mint client JWTs, run flows, drive a running emulator."""
