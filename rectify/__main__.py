from rectify.cli import main

main()
