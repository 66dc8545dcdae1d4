"""`python -m tlsglass` runs the `tlsglass` command."""

import sys

from tlsglass.cli.main import main

sys.exit(main())
