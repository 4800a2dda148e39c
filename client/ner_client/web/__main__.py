"""`python -m ner_client.web` runs `ner-web`."""

from ner_client.web.cli import main

main()
