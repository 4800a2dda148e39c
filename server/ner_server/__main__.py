from ner_server.cli import main

main()
