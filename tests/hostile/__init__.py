"""A corpus of hostile articles, written byte for byte by `make_corpus.py`."""
