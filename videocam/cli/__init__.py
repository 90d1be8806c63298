"""The `videocam` command: `main` parses, one module per command, shared flags in `options`."""
