"""The frozen program's entry point: the same `main` as the installed `dengji` console script."""

from agent.cli import main

if __name__ == "__main__":
    main(prog_name="dengji")
