"""`python -m videocam ...`: the same as the `videocam` command (for machines without the entry point)."""
import sys

from .cli import main

sys.exit(main())
