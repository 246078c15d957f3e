from dd_eval.cli import main

main()
