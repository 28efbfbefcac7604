"""Records in, records out: the case store.

Cases (registered children), tracing requests and their traces, potential matches,
the append-only decision log and the audit trail. The store keeps every value as it
was written, so a caseworker always sees what was recorded; normalised forms live in
`matching`, never here.
"""
