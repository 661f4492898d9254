"""Pure parsing of takedown-order intake: mail, mailboxes, DKIM, files, fields.

Nothing here touches the database or the network (DKIM may use DNS only when
asked to); every function is deterministic for the same input bytes.
"""
