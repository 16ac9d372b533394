"""Run the command line: python -m facilitation."""

from facilitation.cli import main

raise SystemExit(main())
