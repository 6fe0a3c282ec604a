"""Code tables the validators read (a package so that the files ship inside wheels and frozen builds)."""
