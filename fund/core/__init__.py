"""The core: configuration, database, errors, money, time, audit, mail, jobs, signals, i18n.

It imports no other package of ours; everything else builds on it.
"""
