from ner_server.front.cli import main

main()
