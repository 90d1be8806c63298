"""`python -m videocam ...`: the same as the `videocam` command (for machines without the entry point)."""
import sys

from videocam.cli.main import main

sys.exit(main())
