"""`python -m ner_server`: the same as `ner-server`."""

from ner_server.front.cli import main

main()
