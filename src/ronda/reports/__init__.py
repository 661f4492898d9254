"""User reports and appeals from the platform, and what their senders are told.

Reports (Permenkominfo 5/2020 Pasal 10: the platform must answer the reporter)
open or join the case for their subject and category; a reporter whose past
reports were mostly rejected weighs less in the case's priority. Appeals come
from channel owners and are reviewed by a different moderator; a granted appeal
reverses the action.
"""
