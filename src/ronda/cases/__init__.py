"""Cases: the unit of review, from opening to decision, appeal and closing.

The table itself is declared in ``ronda.detection.models`` (the pipeline
opens cases); this domain owns everything that happens to a case after that:
its status machine, its priority, routing to queues, the moderator's lease
and the decision that writes enforcement actions.
"""
