"""`python -m ner_client.beam`: see `ner_client.beam.cli`."""

from ner_client.beam.cli import main

raise SystemExit(main())
