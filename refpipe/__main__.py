from refpipe.cli import main

main()
