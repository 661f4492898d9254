"""The takedown desk: orders from authorities, from receipt to final report.

"Takedown" rather than "request", which clashes with HTTP requests. An order
is recorded (raw input stored) before anything else happens, acknowledged at
once, parsed into canonical subjects, given its legal deadline and tracked item
by item until every item has an outcome and the final report is sent.
"""
