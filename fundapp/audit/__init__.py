"""The audit trail: who did what, when, from where, and why.

Owns ``audit_events``, an append-only table (the database refuses UPDATE and DELETE, like the
ledger). Every state change and every staff action calls ``services.record`` in the same
transaction as the change itself. Anyone's code may call ``record``; only auditors and
administrators read it.
"""
