"""People and programs in: the CLI, the HTTP API, the review pages.

`service` drives the pipeline (`case_store -> matching -> scoring -> case_store`)
and owns every transaction.
"""
