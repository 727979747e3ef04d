"""Shared foundation: database, errors, security, personal-data crypto, ids, geo,
working-day calendar, audit trail and the domain-event outbox."""
