"""`techbank-admin` (or `python -m admin`): the operator's commands, in one place.

Each works on the stores themselves, as the TECHBANK_* settings name them (the stores'
URLs, not the servers' addresses), which no server hands to its callers. Each is also
`python -m <its module>` (its --help says which); both names run the same code.

Exit status: 0 done; 1 a check found a difference; 2 a wrong command line, or a setting
the command cannot start with (one line on stderr names it).
"""
